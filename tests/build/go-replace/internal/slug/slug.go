// Package slug is a local module: go.mod requires it and replaces it with ./internal/slug.
package slug

import "strings"

// Make turns a title into a URL slug.
func Make(title string) string {
	f := strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	return strings.Join(f, "-")
}
