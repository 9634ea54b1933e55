# keel.ssm: the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
COLLECTION_LINK := .collections/ansible_collections/keel/ssm
# Debian 12's ansible-core 2.14 and boto3, for the compatibility tests (inside .venv so
# it is ignored, excluded and cleaned with it).
VENV_CORE214 := $(VENV)/core214
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# Per-checkout Ansible home: ~/.ansible/collections is shared by every checkout on the
# machine (molecule's prerun installs the collection there), and ansible-lint searches it
# first, so another checkout's keel.ssm would shadow this one.
export ANSIBLE_HOME := $(CURDIR)/.ansible
# Molecule scenarios run this many at a time (2 cores here).
MOLECULE_JOBS ?= 2
# Scenarios `make molecule` leaves out (space-separated); make test runs `vm` on its own.
MOLECULE_EXCLUDE ?=

.PHONY: all venv venv-core214 images lint sanity tarball-test galaxy-import changelog pytest molecule test demo bench clean docs bundle audit-vm vm-images test-vm

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

$(VENV_CORE214)/.installed: requirements-core214.txt
	$(PYTHON) -m venv $(VENV_CORE214)
	$(VENV_CORE214)/bin/pip install --quiet --upgrade pip
	$(VENV_CORE214)/bin/pip install --quiet -r requirements-core214.txt
	touch $@

venv-core214: $(VENV_CORE214)/.installed $(COLLECTION_LINK)

images:
	scripts/build-images.sh bookworm trixie

# The VM disk for molecule/vm, built from the bookworm image (only when its recipe changed).
vm-images: images
	scripts/build-vm-images.sh bookworm

lint: venv
	$(BIN)/yamllint --strict .
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ansible-lint --profile production
	$(BIN)/antsibull-changelog lint

# ansible-test sanity on the built tarball, installed into an empty collections path
# (scripts/sanity.sh says how its pip bootstrap works without the host it downloads from).
sanity: venv venv-core214
	scripts/sanity.sh $(BIN) $(VENV_CORE214)/bin

# What users get, alone (make pytest runs it too): the tarball installed by 2.19's and
# 2.14's ansible-galaxy into an empty collections path, ansible-doc for every plugin and
# role, and the amazon.aws-style playbook with keel.ssm names against moto.
tarball-test: venv venv-core214
	$(BIN)/pytest tests/integration/test_tarball.py

# Galaxy's own import checks (galaxy-importer from PyPI, no containers: ansible-doc,
# ansible-lint, metadata) on the built tarball. Not part of make test: it takes minutes,
# and it refuses the tarball until galaxy.yml names a public repository (see README).
$(VENV)/galaxy-importer/.installed:
	$(PYTHON) -m venv $(VENV)/galaxy-importer
	$(VENV)/galaxy-importer/bin/pip install --quiet galaxy-importer==0.4.44
	touch $@

galaxy-import: venv $(VENV)/galaxy-importer/.installed
	rm -rf build/galaxy-import && mkdir -p build/galaxy-import
	$(BIN)/ansible-galaxy collection build --output-path build/galaxy-import .
	cd build/galaxy-import && env -u ANSIBLE_CONFIG -u ANSIBLE_HOME PATH=$(CURDIR)/$(VENV)/galaxy-importer/bin:/usr/bin:/bin \
		$(CURDIR)/$(VENV)/galaxy-importer/bin/python -m galaxy_importer.main keel-ssm-*.tar.gz

pytest: venv venv-core214
	$(BIN)/pytest tests

molecule: venv images
	MOLECULE_EXCLUDE="$(MOLECULE_EXCLUDE)" scripts/run-molecule.sh $(MOLECULE_JOBS)

# The VM scenario (about an hour of software-emulated guests) starts first and runs
# beside everything else, which keeps its own two scenarios at a time.
test: venv venv-core214 vm-images
	mkdir -p build
	scripts/run-molecule.sh 1 vm >build/molecule-vm.out 2>&1 & vm=$$!; \
	status=0; $(MAKE) lint sanity pytest molecule MOLECULE_EXCLUDE=vm || status=$$?; \
	wait $$vm || status=$$?; cat build/molecule-vm.out; exit $$status

# The baseline on booted VMs (molecule/vm): about an hour on this machine kind.
test-vm: venv vm-images
	scripts/run-molecule.sh 1 vm

demo: venv images
	$(BIN)/python scripts/demo.py

# The independent auditors (OpenSCAP with Debian's ssg content, Lynis) on a booted VM,
# before and after the baseline: build/vm-audit/report.md. About an hour; not in make test.
audit-vm: venv vm-images
	rm -rf build/vm-audit && mkdir -p build/vm-audit
	KEEL_VM_STATE=$(CURDIR)/build/vm-audit/state MOLECULE_PROJECT_DIRECTORY=$(CURDIR) \
		$(BIN)/ansible-playbook -i molecule/vm/inventory/hosts.yml molecule/vm/audit.yml

bench: venv
	$(BIN)/python benchmarks/lookup_fleet.py
	$(BIN)/python benchmarks/parameter_tree_noop.py

# Regenerate files derived from the roles' argument specs (a test fails when they drift).
docs: venv
	$(BIN)/python scripts/role_docs.py
	$(BIN)/python scripts/ssm_documents.py

# CHANGELOG.rst from changelogs/changelog.yaml (a release: antsibull-changelog release --version X.Y.Z).
changelog: venv
	$(BIN)/antsibull-changelog generate

# The zip for the keel-ssm-* documents and AWS-ApplyAnsiblePlaybooks (build/keel-ssm-bundle.zip).
bundle: venv
	$(BIN)/python scripts/build_bundle.py

clean:
	rm -rf $(VENV) .collections build .pytest_cache .ruff_cache
