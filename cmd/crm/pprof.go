//go:build pprof

package main

// Built only with -tags pprof (docs/performance.md): the profiler on a fixed loopback port, so a
// service started by cmd/loadgen, which passes it no environment of ours, can be profiled under
// load. The production binary has no such listener.

import (
	"log"
	"net/http"
	_ "net/http/pprof"
)

func init() {
	go func() {
		if err := http.ListenAndServe("127.0.0.1:6060", nil); err != nil {
			log.Printf("pprof listener: %v", err)
		}
	}()
}
