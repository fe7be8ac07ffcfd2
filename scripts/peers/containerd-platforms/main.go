// The real containerd platform matcher, for gate's differential test (tests/it/scan_platforms.rs):
// reads a JSON array of cases on standard input and writes one answer per case.
//
//	{"op":"match","node":"linux/amd64","strict":false,"child":{...}}  -> {"ok":true}
//	{"op":"less","node":"linux/amd64","a":{...},"b":{...}}             -> {"ok":true}
//	{"op":"parse","spec":"linux/arm"}                                  -> {"ok":true,"platform":{...}} or {"ok":false}
package main

import (
	"encoding/json"
	"os"

	"github.com/containerd/platforms"
	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

type query struct {
	Op     string          `json:"op"`
	Node   string          `json:"node"`
	Strict bool            `json:"strict"`
	Child  *specs.Platform `json:"child"`
	A      *specs.Platform `json:"a"`
	B      *specs.Platform `json:"b"`
	Spec   string          `json:"spec"`
}

type answer struct {
	OK       bool            `json:"ok"`
	Platform *specs.Platform `json:"platform,omitempty"`
	Error    string          `json:"error,omitempty"`
}

func matcher(q query) (platforms.MatchComparer, error) {
	p, err := platforms.Parse(q.Node)
	if err != nil {
		return nil, err
	}
	if q.Strict {
		return platforms.OnlyStrict(p), nil
	}
	return platforms.Only(p), nil
}

func main() {
	var qs []query
	if err := json.NewDecoder(os.Stdin).Decode(&qs); err != nil {
		panic(err)
	}
	out := make([]answer, len(qs))
	for i, q := range qs {
		switch q.Op {
		case "parse":
			p, err := platforms.Parse(q.Spec)
			if err != nil {
				out[i] = answer{OK: false}
				continue
			}
			n := platforms.Normalize(p)
			out[i] = answer{OK: true, Platform: &n}
		case "match", "less":
			m, err := matcher(q)
			if err != nil {
				out[i] = answer{Error: err.Error()}
				continue
			}
			if q.Op == "match" {
				out[i] = answer{OK: m.Match(*q.Child)}
			} else {
				out[i] = answer{OK: m.Less(*q.A, *q.B)}
			}
		default:
			out[i] = answer{Error: "unknown op " + q.Op}
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
