package channels

// Registry holds the adapters a server knows, by kind. A kind's
// Description is read once, when it is registered: it describes the kind,
// so it does not change while the server runs.
type Registry struct {
	adapters map[string]Adapter
	descs    map[string]Description // typed (see Descriptions)
	order    []string
}

// NewRegistry returns a registry of the given adapters.
func NewRegistry(adapters ...Adapter) *Registry {
	r := &Registry{adapters: map[string]Adapter{}, descs: map[string]Description{}}
	for _, a := range adapters {
		d := a.Describe()
		if _, dup := r.adapters[d.Kind]; dup {
			panic("channels: kind registered twice: " + d.Kind)
		}
		d.Settings = typed(d.Settings, false)
		d.Secrets = typed(d.Secrets, true)
		r.adapters[d.Kind] = a
		r.descs[d.Kind] = d
		r.order = append(r.order, d.Kind)
	}
	return r
}

// Lookup returns the adapter of a kind.
func (r *Registry) Lookup(kind string) (Adapter, bool) {
	a, ok := r.adapters[kind]
	return a, ok
}

// Descriptions lists the registered kinds in registration order, every
// field's Type filled in (FieldString for settings, FieldSecret for
// secrets, when the adapter left it empty). Callers must not change the
// fields' slices, which are shared.
func (r *Registry) Descriptions() []Description {
	out := make([]Description, len(r.order))
	for i, k := range r.order {
		out[i] = r.descs[k]
	}
	return out
}

func typed(fields []Field, secret bool) []Field {
	out := make([]Field, len(fields))
	for i, f := range fields {
		f.Type = f.TypeOf(secret)
		out[i] = f
	}
	return out
}

// Capabilities are what kind's adapter can do; none for an unknown kind.
func (r *Registry) Capabilities(kind string) Capabilities {
	return r.descs[kind].Capabilities
}
