// linkcheck: a standard-library HTTP service that checks whether URLs answer.
//
//	GET /health             200 {"status":"ok"}
//	GET /check?url=https://...  fetches the URL (HTTPS needs the system's CA bundle) and reports the status
//
// `linkcheck -healthcheck` asks a running server's /health and exits 0 or 1, so an image without a
// shell or curl (scratch) can still run a HEALTHCHECK.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func newMux(client *http.Client) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /check", func(w http.ResponseWriter, r *http.Request) {
		target := r.URL.Query().Get("url")
		if target == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "pass ?url=https://..."})
			return
		}
		started := time.Now()
		resp, err := client.Get(target)
		if err != nil {
			// Without a CA bundle every HTTPS URL fails here with "certificate signed by unknown authority".
			writeJSON(w, http.StatusBadGateway, map[string]string{"url": target, "error": err.Error()})
			return
		}
		resp.Body.Close()
		writeJSON(w, http.StatusOK, map[string]any{"url": target, "status": resp.StatusCode,
			"ms": time.Since(started).Milliseconds()})
	})
	return mux
}

func healthcheck(port string) int {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + port + "/health")
	if err != nil {
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

func main() {
	probe := flag.Bool("healthcheck", false, "ask a running server's /health and exit 0 (healthy) or 1")
	flag.Parse()
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if *probe {
		os.Exit(healthcheck(port))
	}
	server := &http.Server{Addr: ":" + port, Handler: newMux(&http.Client{Timeout: 5 * time.Second}),
		ReadHeaderTimeout: 5 * time.Second}
	go func() {
		log.Printf("linkcheck listening on :%s", port)
		if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = server.Shutdown(ctx)
}
