# The commands a newcomer needs: `make run` and `make test`. Both install what is missing first.
BUILD ?= build
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:8080

.PHONY: deps build run test bench clean

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@echo "Serving examples/bots on $(LISTEN), data in ./data. Try:"
	@echo "  curl -s -XPOST http://$(LISTEN)/v1/bots/pizza/conversations/me/messages -H 'Content-Type: application/json' -d '{\"id\":\"m1\",\"text\":\"hi\"}'"
	$(BUILD)/parley serve --bots examples/bots --data data --listen $(LISTEN)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: build
	@./scripts/install-deps.sh bench
	./bench/compare

clean:
	rm -rf $(BUILD)
