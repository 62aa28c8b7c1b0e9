/* A tiny HTTP service in C: GET /health answers "ok", GET / a greeting, anything else 404.
 * One connection at a time, standard library and POSIX sockets only; built with gcc. */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig) {
    (void)sig;
    stopping = 1;
}

static void reply(int fd, const char *status, const char *body) {
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, strlen(body));
    if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0) perror("write");
}

int main(void) {
    const char *port_env = getenv("PORT");
    int port = port_env ? atoi(port_env) : 8080;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal; /* no SA_RESTART: accept() returns on SIGTERM */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int server = socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                               .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (server < 0 || bind(server, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(server, 16) < 0) {
        perror("listen");
        return 1;
    }
    printf("greeter listening on :%d\n", port);
    fflush(stdout);

    while (!stopping) {
        int fd = accept(server, NULL, NULL);
        if (fd < 0) continue;
        char request[1024] = {0};
        ssize_t got = read(fd, request, sizeof request - 1);
        if (got > 0 && strncmp(request, "GET /health ", 12) == 0) reply(fd, "200 OK", "ok\n");
        else if (got > 0 && strncmp(request, "GET / ", 6) == 0) reply(fd, "200 OK", "hello from C\n");
        else reply(fd, "404 Not Found", "not found\n");
        close(fd);
    }
    close(server);
    return 0;
}
