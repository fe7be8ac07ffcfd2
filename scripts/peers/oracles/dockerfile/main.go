// dockerfile reads Dockerfiles with BuildKit's own parser (frontend/dockerfile/parser and
// instructions) and prints, per file, one JSON line with the images a build pulls:
// {"file": F, "syntax": S, "images": [...], "error": "..."}.
//
// The frontend image is what parser.DetectSyntax finds (the dockerfile frontend forwards the
// build to it). Bases, `COPY --from` and `RUN --mount from=` are resolved as
// dockerfile2llb does (read from its source, not imported, to keep the dependency set to the
// parser packages): global ARGs expanded with BuildKit's shell lexer over the default platform
// arguments, stage names matched, `scratch` skipped, a `--from` number being a stage index.
// Every stage counts (BuildKit skips stages the target does not need; gate checks them all).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

type result struct {
	File   string   `json:"file"`
	Syntax string   `json:"syntax,omitempty"`
	Images []string `json:"images"`
	Error  string   `json:"error,omitempty"`
}

// The platform arguments dockerfile2llb defines before any ARG (defaultArgs), for linux/amd64.
var platformArgs = []string{
	"BUILDPLATFORM=linux/amd64", "BUILDOS=linux", "BUILDOSVERSION=", "BUILDARCH=amd64",
	"BUILDVARIANT=", "TARGETPLATFORM=linux/amd64", "TARGETOS=linux", "TARGETOSVERSION=",
	"TARGETARCH=amd64", "TARGETVARIANT=", "TARGETSTAGE=default",
}

type env struct{ kv []string }

func (e *env) set(k, v string) {
	for i, s := range e.kv {
		if name, _, _ := strings.Cut(s, "="); name == k {
			e.kv[i] = k + "=" + v
			return
		}
	}
	e.kv = append(e.kv, k+"="+v)
}

func read(r *result, dt []byte) error {
	if syntax, _, _, ok := parser.DetectSyntax(dt); ok {
		r.Syntax = syntax
	}
	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return err
	}
	stages, metaArgs, err := instructions.Parse(ast.AST, linter.New(&linter.Config{}))
	if err != nil {
		return err
	}
	lex := shell.NewLex(ast.EscapeToken)
	args := &env{kv: append([]string{}, platformArgs...)}
	for _, cmd := range metaArgs {
		for _, kp := range cmd.Args {
			if kp.Value == nil {
				continue
			}
			m, err := lex.ProcessWordWithMatches(*kp.Value, shell.EnvsFromSlice(args.kv))
			if err != nil {
				return err
			}
			args.set(kp.Key, m.Result)
		}
	}
	byName := map[string]bool{}
	for _, st := range stages {
		m, err := lex.ProcessWordWithMatches(st.BaseName, shell.EnvsFromSlice(args.kv))
		if err != nil {
			return err
		}
		if m.Result == "" {
			return fmt.Errorf("base name (%s) should not be blank", st.BaseName)
		}
		// addState: the base is an earlier stage when named exactly (names are lower case).
		if !byName[m.Result] && m.Result != "scratch" {
			r.Images = append(r.Images, m.Result)
		}
		if st.Name != "" {
			byName[strings.ToLower(st.Name)] = true
		}
	}
	for _, st := range stages {
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.CopyCommand:
				if c.From == "" {
					continue
				}
				m, err := lex.ProcessWordWithMatches(c.From, shell.EnvsFromSlice(nil))
				if err != nil {
					return err
				}
				if m.Result != c.From {
					return fmt.Errorf("variable expansion is not supported for --from")
				}
				if _, err := strconv.Atoi(c.From); err == nil {
					continue
				}
				if !byName[strings.ToLower(c.From)] {
					r.Images = append(r.Images, c.From)
				}
			case *instructions.RunCommand:
				for _, mt := range instructions.GetMounts(c) {
					if mt.From != "" && !byName[strings.ToLower(mt.From)] {
						r.Images = append(r.Images, mt.From)
					}
				}
			}
		}
	}
	return nil
}

func main() {
	out := json.NewEncoder(os.Stdout)
	for _, p := range os.Args[1:] {
		r := result{File: p, Images: []string{}}
		dt, err := os.ReadFile(p)
		if err == nil {
			err = read(&r, dt)
		}
		if err != nil {
			r.Error = err.Error()
		}
		if err := out.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}
