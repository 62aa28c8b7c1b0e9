// probe: a tiny static HTTP health probe shared by the monorepo's images that have no curl
// (distroless, scratch). `probe URL` exits 0 when URL answers 2xx within two seconds, else 1.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: probe URL")
		os.Exit(2)
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintln(os.Stderr, "probe: status", resp.StatusCode)
		os.Exit(1)
	}
}
