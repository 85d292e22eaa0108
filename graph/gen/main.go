// Command gen runs gqlgen with gqlgen.yml, as `gqlgen generate` does, plus
// one change to what it generates: the fields of the objects in sequential
// are resolved one after the other, in the goroutine of their object,
// instead of one goroutine each. Run by `go generate ./...` from the
// repository root, after entc.
//
// gqlgen runs every field bound to a method that takes a context, or to a
// resolver, in a goroutine of its own. Conversation's edges (customer,
// channel, assignee, lastMessage, tags) are such methods, but a
// connection's rows come with their edges loaded (entgql collects the
// selection into the query), and canReply, replyBlockedReason and
// unreadCount are computed once per list (graph/listload.go): the
// goroutines did no I/O in parallel and cost most of an inbox page's CPU
// (stack growth, scheduling). A conversation resolved on its own (a
// mutation's result) loads its edges one after the other instead.
package main

import (
	"fmt"
	"log"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

var sequential = []string{"Conversation"}

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		log.Fatalf("gqlgen: %v", err)
	}
	if err := api.Generate(cfg, api.AddPlugin(sequentialFields(sequential))); err != nil {
		log.Fatalf("gqlgen: %v", err)
	}
}

// sequentialFields is a gqlgen plugin that turns off field concurrency for
// the named objects; it runs before the executable schema is written.
type sequentialFields []string

func (sequentialFields) Name() string { return "sequentialfields" }

func (s sequentialFields) GenerateCode(data *codegen.Data) error {
	for _, name := range s {
		o := data.Objects.ByName(name)
		if o == nil {
			return fmt.Errorf("sequential fields: no object %s", name)
		}
		o.DisableConcurrency = true
	}
	return nil
}
