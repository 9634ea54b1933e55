# keel.ssm: the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
COLLECTION_LINK := .collections/ansible_collections/keel/ssm
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# Molecule scenarios run this many at a time (2 cores here).
MOLECULE_JOBS ?= 2

.PHONY: all venv images lint pytest molecule test demo bench clean docs bundle

all: test

$(VENV)/.installed: requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../.. $@

venv: $(VENV)/.installed $(COLLECTION_LINK)

images:
	scripts/build-images.sh bookworm trixie

lint: venv
	$(BIN)/yamllint --strict .
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ansible-lint --profile production

pytest: venv
	$(BIN)/pytest tests

molecule: venv images
	scripts/run-molecule.sh $(MOLECULE_JOBS)

test: venv images lint pytest molecule

demo: venv images
	$(BIN)/python scripts/demo.py

bench: venv
	$(BIN)/python benchmarks/lookup_fleet.py

# Regenerate files derived from the roles' argument specs (a test fails when they drift).
docs: venv
	$(BIN)/python scripts/role_docs.py
	$(BIN)/python scripts/ssm_documents.py

# The zip for the keel-ssm-* documents and AWS-ApplyAnsiblePlaybooks (build/keel-ssm-bundle.zip).
bundle: venv
	$(BIN)/python scripts/build_bundle.py

clean:
	rm -rf $(VENV) .collections build .pytest_cache .ruff_cache
