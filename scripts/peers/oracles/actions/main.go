// actions reads GitHub workflow files with actionlint's parser and action metadata files
// (action.yml) as actionlint reads them, and prints, per file, one JSON line with the images
// the runner would pull: {"file": F, "images": [...], "error": "..."}. A file whose name is
// action.yml or action.yaml is action metadata (runs.image; `Dockerfile` or a path is a local
// build, reported under "builds").
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v4"
)

type result struct {
	File   string   `json:"file"`
	Images []string `json:"images"`
	Builds []string `json:"builds"`
	Error  string   `json:"error,omitempty"`
}

func workflow(r *result, b []byte) {
	w, errs := actionlint.Parse(b)
	if len(errs) > 0 {
		msgs := make([]string, 0, len(errs))
		for _, e := range errs {
			msgs = append(msgs, e.Error())
		}
		r.Error = strings.Join(msgs, "; ")
	}
	if w == nil {
		return
	}
	ids := make([]string, 0, len(w.Jobs))
	for id := range w.Jobs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		job := w.Jobs[id]
		if job == nil {
			continue
		}
		if job.Container != nil && job.Container.Image != nil {
			r.Images = append(r.Images, job.Container.Image.Value)
		}
		if job.Services != nil {
			for _, s := range job.Services.Value {
				if s != nil && s.Container != nil && s.Container.Image != nil {
					r.Images = append(r.Images, s.Container.Image.Value)
				}
			}
		}
		for _, st := range job.Steps {
			if st == nil {
				continue
			}
			if a, ok := st.Exec.(*actionlint.ExecAction); ok && a.Uses != nil {
				if img, ok := strings.CutPrefix(a.Uses.Value, "docker://"); ok {
					r.Images = append(r.Images, img)
				}
			}
		}
	}
}

func metadata(r *result, b []byte) {
	var m actionlint.ActionMetadata
	if err := yaml.Unmarshal(b, &m); err != nil {
		r.Error = err.Error()
		return
	}
	img := m.Runs.Image
	if img == "" {
		return
	}
	if rest, ok := strings.CutPrefix(img, "docker://"); ok {
		r.Images = append(r.Images, rest)
	} else {
		r.Builds = append(r.Builds, img)
	}
}

func main() {
	out := json.NewEncoder(os.Stdout)
	for _, p := range os.Args[1:] {
		r := result{File: p, Images: []string{}, Builds: []string{}}
		b, err := os.ReadFile(p)
		switch base := filepath.Base(p); {
		case err != nil:
			r.Error = err.Error()
		case base == "action.yml" || base == "action.yaml":
			metadata(&r, b)
		default:
			workflow(&r, b)
		}
		if err := out.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}
