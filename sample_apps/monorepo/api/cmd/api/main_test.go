package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestJobLifecycle(t *testing.T) {
	srv := httptest.NewServer(newMux(&Queue{}))
	defer srv.Close()
	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/api/jobs", `{"text":"hi"}`); code != http.StatusCreated {
		t.Fatalf("add: %d", code)
	}
	if code := post("/api/jobs/next", ``); code != http.StatusOK {
		t.Fatalf("next: %d", code)
	}
	if code := post("/api/jobs/next", ``); code != http.StatusNoContent {
		t.Fatalf("next on empty queue: %d", code)
	}
	if code := post("/api/jobs/1/result", `{"result":"HI"}`); code != http.StatusNoContent {
		t.Fatalf("result: %d", code)
	}
	resp, err := http.Get(srv.URL + "/health")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %v %v", err, resp)
	}
}
