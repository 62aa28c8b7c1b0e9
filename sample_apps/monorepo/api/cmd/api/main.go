// The monorepo's API: a job queue in memory. The frontend adds jobs, the worker claims and
// completes them. Standard library only.
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
	"sync"
	"syscall"
	"time"
)

type Job struct {
	ID     int    `json:"id"`
	Text   string `json:"text"`
	State  string `json:"state"` // queued | running | done
	Result string `json:"result,omitempty"`
}

type Queue struct {
	mu   sync.Mutex
	jobs []*Job
}

func (q *Queue) Add(text string) Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	j := &Job{ID: len(q.jobs) + 1, Text: text, State: "queued"}
	q.jobs = append(q.jobs, j)
	return *j
}

func (q *Queue) Next() (Job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range q.jobs {
		if j.State == "queued" {
			j.State = "running"
			return *j, true
		}
	}
	return Job{}, false
}

func (q *Queue) Complete(id int, result string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if id < 1 || id > len(q.jobs) {
		return false
	}
	q.jobs[id-1].State, q.jobs[id-1].Result = "done", result
	return true
}

func (q *Queue) All() []Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Job, 0, len(q.jobs))
	for _, j := range q.jobs {
		out = append(out, *j)
	}
	return out
}

func newMux(q *Queue) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /api/jobs", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, q.All())
	})
	mux.HandleFunc("POST /api/jobs", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Text string `json:"text"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&body); err != nil || body.Text == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `body must be {"text": "<non-empty>"}`})
			return
		}
		writeJSON(w, http.StatusCreated, q.Add(body.Text))
	})
	mux.HandleFunc("POST /api/jobs/next", func(w http.ResponseWriter, r *http.Request) {
		if j, ok := q.Next(); ok {
			writeJSON(w, http.StatusOK, j)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /api/jobs/{id}/result", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Result string `json:"result"`
			ID     int    `json:"id"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad body"})
			return
		}
		var id int
		if err := json.Unmarshal([]byte(r.PathValue("id")), &id); err != nil || !q.Complete(id, body.Result) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such job"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func main() {
	probe := flag.Bool("healthcheck", false, "probe the running API's /health and exit 0 or 1")
	flag.Parse()
	port := os.Getenv("PORT")
	if port == "" {
		port = "8081"
	}
	if *probe {
		client := &http.Client{Timeout: 2 * time.Second}
		resp, err := client.Get("http://127.0.0.1:" + port + "/health")
		if err != nil || resp.StatusCode != http.StatusOK {
			os.Exit(1)
		}
		os.Exit(0)
	}
	srv := &http.Server{Addr: ":" + port, Handler: newMux(&Queue{}), ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("api listening on :%s", port)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
