package main

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestHandlerAnswersItsInfo(t *testing.T) {
	rec := httptest.NewRecorder()
	handler(rec, httptest.NewRequest("GET", "/", nil))
	var got info
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if got.Service != "go-service" {
		t.Fatalf("service = %q, want go-service", got.Service)
	}
}
