package dev.dockopt.sample;

import com.sun.net.httpserver.HttpServer;

import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/** A dependency-free test (JUnit is not reachable offline): run with {@code java -cp ... AppTest}. */
public final class AppTest {
    private static int passed;

    public static void main(String[] args) throws Exception {
        HttpServer server = new App().start(0);
        int port = server.getAddress().getPort();
        try {
            check("GET /health is 200", status("GET", port, "/health", null) == 200);
            check("healthcheck() is 0 against a live server", App.healthcheck(port) == 0);
            check("POST /greetings with a name is 201", status("POST", port, "/greetings", "Ada") == 201);
            check("POST /greetings without a name is 400", status("POST", port, "/greetings", "") == 400);
            check("unknown path is 404", status("GET", port, "/nope", null) == 404);
        } finally {
            server.stop(0);
        }
        check("healthcheck() is 1 when nothing listens", App.healthcheck(port) == 1);
        System.out.println(passed + " passed, 0 failed");
        System.exit(0);
    }

    private static int status(String method, int port, String path, String body) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + path).openConnection();
        c.setRequestMethod(method);
        if (body != null) {
            c.setDoOutput(true);
            try (OutputStream os = c.getOutputStream()) {
                os.write(body.getBytes(StandardCharsets.UTF_8));
            }
        }
        return c.getResponseCode();
    }

    private static void check(String what, boolean ok) {
        if (!ok) {
            System.out.println("FAIL: " + what);
            System.out.println(passed + " passed, 1 failed");
            System.exit(1);
        }
        passed++;
        System.out.println("ok: " + what);
    }
}
