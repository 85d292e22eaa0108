package channels

// Registry holds the adapters a server knows, by kind.
type Registry struct {
	adapters map[string]Adapter
	order    []string
}

// NewRegistry returns a registry of the given adapters.
func NewRegistry(adapters ...Adapter) *Registry {
	r := &Registry{adapters: map[string]Adapter{}}
	for _, a := range adapters {
		kind := a.Describe().Kind
		if _, dup := r.adapters[kind]; dup {
			panic("channels: kind registered twice: " + kind)
		}
		r.adapters[kind] = a
		r.order = append(r.order, kind)
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
// secrets, when the adapter left it empty).
func (r *Registry) Descriptions() []Description {
	out := make([]Description, len(r.order))
	for i, k := range r.order {
		d := r.adapters[k].Describe()
		d.Settings = typed(d.Settings, false)
		d.Secrets = typed(d.Secrets, true)
		out[i] = d
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
	if a, ok := r.Lookup(kind); ok {
		return a.Describe().Capabilities
	}
	return Capabilities{}
}
