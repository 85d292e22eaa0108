package main

// The order matters: entc writes schema/ent.graphql, which gqlgen reads.
//go:generate go run ./ent/entc.go
//go:generate go run ./graph/gen
