// The go-service example (seed 003): a small HTTP service compiled into a static binary.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// info is what GET / answers, and what `server --version` prints.
type info struct {
	Service string `json:"service"`
	Version string `json:"version"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

func current() info {
	return info{Service: "go-service", Version: version, OS: runtime.GOOS, Arch: runtime.GOARCH}
}

func handler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(current())
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		out, _ := json.Marshal(current())
		fmt.Println(string(out))
		return
	}
	addr := ":8080"
	if port := os.Getenv("PORT"); port != "" {
		addr = ":" + port
	}
	http.HandleFunc("/", handler)
	log.Printf("go-service %s listening on %s", version, addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}
