// The Go fixture: a small program built by the Go SDK image and shipped as one binary.
package main

import "fmt"

func main() {
	fmt.Printf("hello from the Go fixture: %s\n", greeting("layerwise"))
}
