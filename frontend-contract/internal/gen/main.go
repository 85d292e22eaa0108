// Command gen writes frontend-contract/schema.graphql and
// frontend-contract/types.ts from the server's schema and the operations.
// go generate runs it in frontend-contract/, so the repository root is "..".
package main

import (
	"log"
	"os"
	"path/filepath"

	contract "github.com/switchboard/switchboard/frontend-contract"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("frontend-contract: ")
	if wd, err := os.Getwd(); err != nil || filepath.Base(wd) != "frontend-contract" {
		log.Fatal("run from frontend-contract/, as go generate ./frontend-contract/... does")
	}
	files, err := contract.Generate("..")
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.FromSlash(f.Name), f.Content, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
