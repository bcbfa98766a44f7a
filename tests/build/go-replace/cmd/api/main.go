// The Go replace fixture: the module requires example.com/slug, replaced by a local directory, so
// `go mod download` and `go build` read ./internal/slug/go.mod (standard library otherwise).
package main

import (
	"fmt"

	"example.com/slug"
)

func main() {
	fmt.Printf("hello from the Go replace fixture: %s\n", slug.Make("Proof by Real Builds, issue #12"))
}
