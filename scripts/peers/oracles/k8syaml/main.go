// k8syaml reads manifest files the way `kubectl create -f FILE` does (the resource builder's
// StreamVisitor: apimachinery's NewYAMLOrJSONDecoder, which splits YAML streams with
// YAMLReader and decodes each document with sigs.k8s.io/yaml) and prints, per file, one JSON
// line: {"file": F, "objects": [...], "error": "..."}. Objects decoded before an error are kept:
// kubectl acts on them before it stops.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
)

type result struct {
	File    string            `json:"file"`
	Objects []json.RawMessage `json:"objects"`
	Error   string            `json:"error,omitempty"`
}

func read(path string) result {
	r := result{File: path, Objects: []json.RawMessage{}}
	f, err := os.Open(path)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer f.Close()
	// cli-runtime's FileVisitor: a byte-order mark (UTF-8 or UTF-16) is stripped first.
	r8 := transform.NewReader(f, unicode.BOMOverride(unicode.UTF8.NewDecoder()))
	d := yaml.NewYAMLOrJSONDecoder(r8, 4096)
	for {
		ext := runtime.RawExtension{}
		if err := d.Decode(&ext); err != nil {
			if !errors.Is(err, io.EOF) {
				r.Error = err.Error()
			}
			return r
		}
		ext.Raw = bytes.TrimSpace(ext.Raw)
		if len(ext.Raw) == 0 || bytes.Equal(ext.Raw, []byte("null")) {
			continue
		}
		r.Objects = append(r.Objects, json.RawMessage(ext.Raw))
	}
}

func main() {
	out := json.NewEncoder(os.Stdout)
	for _, p := range os.Args[1:] {
		if err := out.Encode(read(p)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}
