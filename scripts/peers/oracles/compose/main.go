// compose loads Compose files with compose-go (what `docker compose` runs) and prints, per
// file, one JSON line: {"file": F, "services": {name: {image, build: {context, dockerfile,
// dockerfile_inline, additional_contexts, args}}}, "error": "..."}. Interpolation sees an empty
// environment; every profile is enabled.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

type build struct {
	Context            string             `json:"context"`
	Dockerfile         string             `json:"dockerfile"`
	DockerfileInline   string             `json:"dockerfile_inline"`
	AdditionalContexts map[string]string  `json:"additional_contexts"`
	Args               map[string]*string `json:"args"`
}

type service struct {
	Image string `json:"image"`
	Build *build `json:"build,omitempty"`
}

type result struct {
	File     string             `json:"file"`
	Services map[string]service `json:"services"`
	Error    string             `json:"error,omitempty"`
}

func read(r *result, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs, Content: b}},
		Environment: types.Mapping{},
	}
	p, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName("oracle", true)
		o.Profiles = []string{"*"}
		o.SkipConsistencyCheck = true
		o.ResolvePaths = false
	})
	if err != nil {
		return err
	}
	for name, s := range p.AllServices() {
		out := service{Image: s.Image}
		if s.Build != nil {
			out.Build = &build{
				Context:            s.Build.Context,
				Dockerfile:         s.Build.Dockerfile,
				DockerfileInline:   s.Build.DockerfileInline,
				AdditionalContexts: map[string]string(s.Build.AdditionalContexts),
				Args:               map[string]*string(s.Build.Args),
			}
		}
		r.Services[name] = out
	}
	return nil
}

func main() {
	out := json.NewEncoder(os.Stdout)
	for _, p := range os.Args[1:] {
		r := result{File: p, Services: map[string]service{}}
		if err := read(&r, p); err != nil {
			r.Error = err.Error()
		}
		if err := out.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}
