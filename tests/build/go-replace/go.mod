module example.com/api

go 1.19

require example.com/slug v0.0.0

replace example.com/slug => ./internal/slug
