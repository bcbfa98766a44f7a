package main

import (
	"crypto/sha256"
	"fmt"
)

// greeting returns a deterministic line that depends on code compiled into the binary.
func greeting(name string) string {
	sum := sha256.Sum256([]byte(name))
	return fmt.Sprintf("%s sha256[:8]=%x", name, sum[:8])
}
