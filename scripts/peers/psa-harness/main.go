// psa-harness NAMESPACE.yaml PODS.yaml: the Kubernetes Pod Security admission library
// (k8s.io/pod-security-admission, the code the API server runs) evaluating each Pod of PODS.yaml
// at the level and version the Namespace's `pod-security.kubernetes.io/enforce[-version]` labels
// give, as admission does (an unlabelled namespace is privileged). One JSON line per pod:
// {"name": ..., "allowed": bool, "reasons": [...]}. gate's agreement tests
// (tests/it/export_agreement.rs) compare these verdicts with gate's on the labels `gate export`
// writes.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type verdict struct {
	Name    string   `json:"name"`
	Level   string   `json:"level"`
	Version string   `json:"version"`
	Allowed bool     `json:"allowed"`
	Reasons []string `json:"reasons"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: psa-harness NAMESPACE.yaml PODS.yaml")
		os.Exit(64)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "psa-harness:", err)
		os.Exit(2)
	}
}

func run(nsPath, podsPath string) error {
	var ns corev1.Namespace
	if err := decodeOne(nsPath, &ns); err != nil {
		return err
	}
	defaults := api.Policy{
		Enforce: api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
		Audit:   api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
		Warn:    api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
	}
	p, errs := api.PolicyToEvaluate(ns.Labels, defaults)
	if len(errs) > 0 {
		return fmt.Errorf("namespace labels: %v", errs.ToAggregate())
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return err
	}
	f, err := os.Open(podsPath)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := yaml.NewYAMLOrJSONDecoder(f, 4096)
	out := json.NewEncoder(os.Stdout)
	for {
		var pod corev1.Pod
		if err := dec.Decode(&pod); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if pod.Kind == "" {
			continue
		}
		if pod.Kind != "Pod" {
			return fmt.Errorf("%s: only Pods, not %s", podsPath, pod.Kind)
		}
		agg := policy.AggregateCheckResults(evaluator.EvaluatePod(p.Enforce, &pod.ObjectMeta, &pod.Spec))
		v := verdict{Name: pod.Name, Level: string(p.Enforce.Level), Version: p.Enforce.Version.String(), Allowed: agg.Allowed, Reasons: agg.ForbiddenReasons}
		if v.Reasons == nil {
			v.Reasons = []string{}
		}
		if err := out.Encode(v); err != nil {
			return err
		}
	}
}

// decodeOne reads the first Namespace of path (the export's file starts with comments).
func decodeOne(path string, ns *corev1.Namespace) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := yaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		*ns = corev1.Namespace{}
		if err := dec.Decode(ns); err != nil {
			return fmt.Errorf("%s: no Namespace: %w", path, err)
		}
		if ns.Kind == "Namespace" {
			return nil
		}
	}
}
