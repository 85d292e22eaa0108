// Package contract is the frontend contract: the operations the consoles use
// (operations/*.graphql), the schema snapshot clients code against
// (schema.graphql) and TypeScript types for both (types.ts). contract_test.go
// checks that every operation is valid against the server's schema and that
// the generated files are up to date.
package contract

// Runs after the root package's entc and gqlgen lines under go generate ./...
// (packages run in import path order), so it reads the regenerated schema.
//go:generate go run ./internal/gen
