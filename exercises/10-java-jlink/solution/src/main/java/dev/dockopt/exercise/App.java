package dev.dockopt.exercise;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A small JDK-only HTTP service (no third-party dependencies, so it builds offline):
 * {@code GET /health}, {@code GET /} and {@code GET/POST /greetings}.
 * {@code java -jar app.jar --healthcheck} probes a running server, for images without curl.
 */
public final class App {
    private final long started = System.nanoTime();
    private final List<String> greetings = new CopyOnWriteArrayList<>();

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        if (args.length > 0 && args[0].equals("--healthcheck")) {
            System.exit(healthcheck(port));
        }
        HttpServer server = new App().start(port);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(1)));
        System.out.println("greetings listening on :" + server.getAddress().getPort());
    }

    /** Starts the server on {@code port} (0 = any free port) and returns it. */
    public HttpServer start(int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/health", ex -> {
            long uptime = (System.nanoTime() - started) / 1_000_000_000L;
            send(ex, 200, "{\"status\":\"ok\",\"uptime_s\":" + uptime + "}");
        });
        server.createContext("/greetings", this::greetings);
        server.createContext("/", ex -> send(ex, ex.getRequestURI().getPath().equals("/") ? 200 : 404,
                "{\"service\":\"greetings\",\"java\":\"" + Runtime.version() + "\"}"));
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        return server;
    }

    private void greetings(HttpExchange ex) throws IOException {
        if (ex.getRequestMethod().equals("POST")) {
            String name = new String(ex.getRequestBody().readNBytes(200), StandardCharsets.UTF_8).strip();
            if (name.isEmpty()) {
                send(ex, 400, "{\"error\":\"body must be a non-empty name\"}");
                return;
            }
            greetings.add("Hello, " + name + "!");
            send(ex, 201, "{\"count\":" + greetings.size() + "}");
        } else {
            StringBuilder out = new StringBuilder("[");
            for (int i = 0; i < greetings.size(); i++) {
                out.append(i == 0 ? "" : ",").append('"').append(greetings.get(i).replace("\"", "\\\"")).append('"');
            }
            send(ex, 200, out.append(']').toString());
        }
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
        }
    }

    /** Exit code for a HEALTHCHECK: 0 when the local server's /health answers 200, else 1. */
    static int healthcheck(int port) {
        try {
            HttpURLConnection conn = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/health").openConnection();
            conn.setConnectTimeout(2000);
            conn.setReadTimeout(2000);
            return conn.getResponseCode() == 200 ? 0 : 1;
        } catch (IOException e) {
            return 1;
        }
    }
}
