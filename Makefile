# eic — thin targets over go commands. Run `make help` for the list.
GO       ?= go
FUZZTIME ?= 10s
# Minimising a new input may take at most this long, so a short FUZZTIME still fuzzes.
FUZZMINIMIZETIME ?= 1s
PKGS     ?= ./...

.PHONY: help test features fuzz bench serve lint

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

test: ## every test with the race detector (includes fuzz seeds and the conformance suite)
	$(GO) test -race -count=1 -timeout 25m $(PKGS)

features: ## the conformance suite against the embedded reference, pretty output
	$(GO) run ./cmd/eic run --format pretty

fuzz: ## every FuzzXxx target in turn, FUZZTIME each (default 10s), minimising at most FUZZMINIMIZETIME
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; \
	  done; \
	done

bench: ## Go benchmarks (see docs/performance.md for the scripts that compare with peers)
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

serve: ## the reference server on 127.0.0.1:8080
	$(GO) run ./cmd/eic serve --listen 127.0.0.1:8080

lint: ## gofmt and go vet
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
