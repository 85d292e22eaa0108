package server_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/testenv"
)

func gidOf(s string) gid.ID { return gid.ID(s) }

type routingAgent struct {
	ID, Token string
}

// routingAgents makes n agents with a capacity, ONLINE.
func routingAgents(t *testing.T, s *testenv.Server, admin string, n, capacity int, prefix string) []routingAgent {
	t.Helper()
	out := make([]routingAgent, n)
	for i := range out {
		id, tok := newAgent(t, s, admin, fmt.Sprintf("%s%d@example.com", prefix, i), "AGENT")
		s.MustDo(t, admin, `mutation($id: ID!, $c: Int!) { updateAgent(id: $id, input: {capacity: $c}) { id } }`,
			map[string]any{"id": id, "c": capacity}, nil)
		out[i] = routingAgent{id, tok}
	}
	for _, a := range out {
		setStatus(t, s, a.Token, "ONLINE")
	}
	return out
}

// routingServer is a server whose admin is OFFLINE (not a routing
// candidate) with one API channel.
func routingServer(t *testing.T) (*testenv.Server, string, apiChannel) {
	t.Helper()
	s := testenv.New(t)
	admin := s.AdminToken(t)
	setStatus(t, s, admin, "OFFLINE") // the admin is not a candidate
	return s, admin, createAPIChannel(t, s, admin, "")
}

func setPolicy(t *testing.T, s *testenv.Server, admin, channelID string, input map[string]any) {
	t.Helper()
	s.MustDo(t, admin, `mutation($c: ID!, $in: RoutingPolicyInput!) { setRoutingPolicy(channelID: $c, input: $in) { id strategy } }`,
		map[string]any{"c": channelID, "in": input}, nil)
}

// assignee polls until the conversation is assigned and returns to whom
// ("" when it stays unassigned for the wait).
func assignee(t *testing.T, s *testenv.Server, tok, conv string, wait time.Duration) string {
	t.Helper()
	var id string
	testenv.Within(wait, func() bool {
		var out struct {
			Node struct{ Assignee *struct{ ID string } }
		}
		s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Conversation { assignee { id } } } }`, map[string]any{"id": conv}, &out)
		if out.Node.Assignee != nil {
			id = out.Node.Assignee.ID
		}
		return id != ""
	})
	return id
}

type agentLoad struct {
	ID       string
	Load     int
	Capacity int
	Assigned int // OPEN and PENDING conversations assigned, counted
}

func agentLoads(t *testing.T, s *testenv.Server, admin string) map[string]agentLoad {
	t.Helper()
	var out struct {
		Agents        struct{ Edges []struct{ Node agentLoad } }
		Conversations struct {
			TotalCount int
			Edges      []struct {
				Node struct{ Assignee struct{ ID string } }
			}
		}
	}
	s.MustDo(t, admin, `{ agents(first: 100) { edges { node { id load capacity } } }
		conversations(first: 100, where: {hasAssignee: true, statusIn: [OPEN, PENDING]}) { totalCount edges { node { assignee { id } } } } }`, nil, &out)
	if out.Conversations.TotalCount > 100 {
		t.Fatalf("%d assigned conversations: more than this helper counts", out.Conversations.TotalCount)
	}
	m := map[string]agentLoad{}
	for _, e := range out.Agents.Edges {
		m[e.Node.ID] = e.Node
	}
	for _, e := range out.Conversations.Edges {
		l := m[e.Node.Assignee.ID]
		l.Assigned++
		m[e.Node.Assignee.ID] = l
	}
	return m
}

func queue(t *testing.T, s *testenv.Server, tok, channelID string) []string {
	t.Helper()
	var out struct {
		RoutingQueue []struct {
			Position     int
			Conversation struct{ ID string }
		}
	}
	s.MustDo(t, tok, `query($c: ID) { routingQueue(channelID: $c, first: 100) { position conversation { id } } }`, map[string]any{"c": channelID}, &out)
	ids := make([]string, len(out.RoutingQueue))
	for i, e := range out.RoutingQueue {
		if e.Position != i+1 {
			t.Fatalf("queue position %d at index %d", e.Position, i)
		}
		ids[i] = e.Conversation.ID
	}
	return ids
}

// TestRoutingStrategies: least busy, round robin and skills pick the
// agents they should; MANUAL queues until an agent takes; an OFFLINE
// agent gets nothing.
func TestRoutingStrategies(t *testing.T) {
	s, admin, ch := routingServer(t)
	agents := routingAgents(t, s, admin, 3, 3, "rr")
	n := 0
	next := func() string {
		n++
		return mustPost(t, ch, senderPayload(fmt.Sprint("m", n), fmt.Sprint("cust-", n), "", "", "hello"))
	}

	// MANUAL (no policy): queued; taking it assigns it to the taker.
	waiting := next()
	if a := assignee(t, s, admin, waiting, 300*time.Millisecond); a != "" {
		t.Fatalf("a channel without a policy assigned a conversation to %s", a)
	}
	if q := queue(t, s, admin, ch.ID); !slices.Equal(q, []string{waiting}) {
		t.Fatalf("queue: %v", q)
	}
	var took struct {
		TakeConversation struct{ Assignee struct{ ID string } }
	}
	s.MustDo(t, agents[2].Token, `mutation($id: ID!) { takeConversation(id: $id) { assignee { id } } }`, map[string]any{"id": waiting}, &took)
	if took.TakeConversation.Assignee.ID != agents[2].ID {
		t.Fatalf("taken by %+v", took)
	}
	r := s.Do(t, agents[1].Token, `mutation($id: ID!) { takeConversation(id: $id) { id } }`, map[string]any{"id": waiting})
	if codes := r.Codes(); !slices.Equal(codes, []string{"CONFLICT"}) {
		t.Fatalf("taking a taken conversation: %v", codes)
	}

	// LEAST_BUSY: the two idle agents first, then everyone in turn by load.
	setPolicy(t, s, admin, ch.ID, map[string]any{"strategy": "LEAST_BUSY"})
	got := map[string]int{}
	for i := 0; i < 5; i++ {
		got[assignee(t, s, admin, next(), 10*time.Second)]++
	}
	for _, a := range agents {
		if got[a.ID]+map[bool]int{true: 1}[a.ID == agents[2].ID] != 2 {
			t.Fatalf("least busy spread %v over agents with 0, 0, 1 conversations", got)
		}
	}

	// An OFFLINE agent receives nothing; full agents neither: queued.
	setStatus(t, s, agents[0].Token, "OFFLINE")
	for i := 0; i < 2; i++ { // the two ONLINE agents' last free places
		if a := assignee(t, s, admin, next(), 10*time.Second); a == agents[0].ID || a == "" {
			t.Fatalf("conversation %d went to %q", i, a)
		}
	}
	extra := next()
	if a := assignee(t, s, admin, extra, 300*time.Millisecond); a != "" {
		t.Fatalf("an agent over capacity received a conversation: %s", a)
	}
	for id, l := range agentLoads(t, s, admin) {
		if l.Load > l.Capacity || l.Load != l.Assigned {
			t.Fatalf("agent %s: load %d, capacity %d, %d assigned", id, l.Load, l.Capacity, l.Assigned)
		}
	}
	// Coming back ONLINE drains the queue.
	setStatus(t, s, agents[0].Token, "ONLINE")
	if a := assignee(t, s, admin, extra, 10*time.Second); a != agents[0].ID {
		t.Fatalf("the waiting conversation went to %q, not the agent back ONLINE", a)
	}
}

// TestRoutingSkillsAndRoundRobin: skills rules pick qualified agents,
// higher levels first; round robin takes agents in turn.
func TestRoutingSkillsAndRoundRobin(t *testing.T) {
	s, admin, ch := routingServer(t)
	agents := routingAgents(t, s, admin, 3, 10, "sk")
	skills := [][]map[string]any{
		{{"name": "billing", "level": 2}},
		{{"name": "billing", "level": 8}, {"name": "german", "level": 5}},
		{},
	}
	for i, a := range agents {
		s.MustDo(t, admin, `mutation($id: ID!, $s: [AgentSkillInput!]!) { setAgentSkills(id: $id, skills: $s) { id } }`,
			map[string]any{"id": a.ID, "s": skills[i]}, nil)
	}
	setPolicy(t, s, admin, ch.ID, map[string]any{"strategy": "SKILLS", "skillRules": []any{
		map[string]any{"skill": "billing", "minLevel": 1, "when": map[string]any{"keywords": []string{"refund", "invoice"}}},
		map[string]any{"skill": "german", "when": map[string]any{"keywords": []string{"hallo"}}},
	}})
	n := 0
	send := func(text string) string {
		n++
		return mustPost(t, ch, senderPayload(fmt.Sprint("s", n), fmt.Sprint("c", n), "", "", text))
	}
	if a := assignee(t, s, admin, send("I want a REFUND"), 10*time.Second); a != agents[1].ID {
		t.Fatalf("billing went to %q, not the level-8 agent", a)
	}
	if a := assignee(t, s, admin, send("Hallo, invoice please"), 10*time.Second); a != agents[1].ID {
		t.Fatalf("billing+german went to %q", a)
	}
	if a := assignee(t, s, admin, send("what are your hours?"), 10*time.Second); a == agents[1].ID || a == "" {
		t.Fatalf("no skills needed: %q, want one of the least busy", a)
	}

	setPolicy(t, s, admin, ch.ID, map[string]any{"strategy": "ROUND_ROBIN"})
	var seen []string
	for i := 0; i < 6; i++ {
		seen = append(seen, assignee(t, s, admin, send("hi"), 10*time.Second))
	}
	for i := 3; i < 6; i++ {
		if seen[i] != seen[i-3] || seen[i] == seen[i-1] {
			t.Fatalf("round robin order %v", seen)
		}
	}
}

// TestRoutingUnderLoad: 200 conversations arriving at once for 10 agents
// of capacity 5: exactly 50 assigned, nobody over capacity, the rest
// queued oldest first; resolving drains the queue in order.
func TestRoutingUnderLoad(t *testing.T) {
	s, admin, ch := routingServer(t)
	setPolicy(t, s, admin, ch.ID, map[string]any{"strategy": "LEAST_BUSY"})
	agents := routingAgents(t, s, admin, 10, 5, "load")

	var wg sync.WaitGroup
	sem := make(chan struct{}, 20)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			p := senderPayload(fmt.Sprint("l", i), fmt.Sprint("lc", i), "", "", "help")
			if status, out := post(t, ch.WebhookURL, apiSecret, time.Now(), p); status != 200 {
				t.Errorf("message %d: %d %v", i, status, out)
			}
		}()
	}
	wg.Wait()
	waitingCount := func() int {
		var out struct{ Conversations struct{ TotalCount int } }
		s.MustDo(t, admin, `{ conversations(where: {hasAssignee: false, statusIn: [OPEN, PENDING]}) { totalCount } }`, nil, &out)
		return out.Conversations.TotalCount
	}
	testenv.EventuallyWithin(t, 20*time.Second, func() error {
		if n := waitingCount(); n != 150 {
			return fmt.Errorf("%d conversations waiting, want 150", n)
		}
		return nil
	})
	// Not a wait for anything: give the router time to do something wrong
	// (assign past capacity), then check that nothing moved.
	time.Sleep(300 * time.Millisecond)
	if n := waitingCount(); n != 150 {
		t.Fatalf("%d conversations waiting, want 150", n)
	}
	q := queue(t, s, admin, ch.ID) // the first 100, oldest first
	loads := agentLoads(t, s, admin)
	total := 0
	for _, a := range agents {
		l := loads[a.ID]
		if l.Load != 5 || l.Assigned != 5 {
			t.Fatalf("agent %s: load %d, %d assigned; want 5", a.ID, l.Load, l.Assigned)
		}
		total += l.Assigned
	}
	if total != 50 {
		t.Fatalf("%d assigned, want 50", total)
	}

	// Resolving frees capacity: the queue's head goes first.
	var mine struct {
		Conversations struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	s.MustDo(t, agents[0].Token, `query($a: ID!) { conversations(first: 5, where: {hasAssigneeWith: {id: $a}}) { edges { node { id } } } }`,
		map[string]any{"a": agents[0].ID}, &mine)
	for i, e := range mine.Conversations.Edges[:3] {
		s.MustDo(t, agents[0].Token, `mutation($id: ID!) { setConversationStatus(id: $id, status: RESOLVED) { id } }`, map[string]any{"id": e.Node.ID}, nil)
		if a := assignee(t, s, admin, q[i], 10*time.Second); a != agents[0].ID {
			t.Fatalf("queue head %d went to %q after a resolve", i, a)
		}
	}
	if rest := queue(t, s, admin, ch.ID); !slices.Equal(rest[:97], q[3:]) {
		t.Fatalf("the queue after draining three is not the rest in order")
	}
}

// TestRoutingRestart: a router stopped in the middle of its work leaves
// nothing unrouted once one runs again.
func TestRoutingRestart(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	setStatus(t, s, admin, "OFFLINE")
	ch := createAPIChannel(t, s, admin, "")
	setPolicy(t, s, admin, ch.ID, map[string]any{"strategy": "ROUND_ROBIN"})
	routingAgents(t, s, admin, 4, 5, "rs")
	var convs []string
	for i := 0; i < 30; i++ {
		convs = append(convs, mustPost(t, ch, senderPayload(fmt.Sprint("r", i), fmt.Sprint("rc", i), "", "", "hi")))
	}
	if q := queue(t, s, admin, ch.ID); len(q) != 30 {
		t.Fatalf("without a router %d are queued, want 30", len(q))
	}
	// A router that dies after its first assignments.
	ctx, cancel := context.WithCancel(context.Background())
	go s.App.Router.Run(ctx)
	assignee(t, s, admin, convs[0], 10*time.Second)
	cancel()
	// Another one (as after a restart) finishes the work from the log.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go s.App.Router.Run(ctx2)
	testenv.EventuallyWithin(t, 20*time.Second, func() error {
		if n := len(queue(t, s, admin, ch.ID)); n != 10 {
			return fmt.Errorf("%d still queued after the restart, want 10 (20 agent slots for 30)", n)
		}
		return nil
	})
	for id, l := range agentLoads(t, s, admin) {
		if l.Load > l.Capacity || l.Load != l.Assigned {
			t.Fatalf("agent %s: load %d, capacity %d, assigned %d", id, l.Load, l.Capacity, l.Assigned)
		}
	}
}

// TestRoutingTwoInstances: ingest and routing on two instances of one
// PostgreSQL database at once, with routing passes racing each other:
// nobody over capacity, no conversation assigned twice.
func TestRoutingTwoInstances(t *testing.T) {
	a, b := twoInstances(t)
	admin := a.AdminToken(t)
	setStatus(t, a, admin, "OFFLINE")
	ch := createAPIChannel(t, a, admin, "")
	chB := apiChannel{ID: ch.ID, WebhookURL: b.URL + ch.WebhookURL[len(a.URL):]}
	setPolicy(t, a, admin, ch.ID, map[string]any{"strategy": "LEAST_BUSY"})
	routingAgents(t, a, admin, 4, 5, "two")
	var me struct {
		Viewer struct{ Workspace struct{ ID string } }
	}
	a.MustDo(t, admin, `{ viewer { workspace { id } } }`, nil, &me)

	ctx, cancel := context.WithCancel(context.Background())
	var racers sync.WaitGroup
	for _, s := range []*testenv.Server{a, b} {
		racers.Add(1)
		go func() {
			defer racers.Done()
			for ctx.Err() == nil {
				if _, err := s.App.Router.RouteWorkspace(ctx, gidOf(me.Viewer.Workspace.ID)); err != nil && ctx.Err() == nil {
					t.Errorf("routing pass: %v", err)
					return
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := ch
			if i%2 == 1 {
				target = chB
			}
			p := senderPayload(fmt.Sprint("t", i), fmt.Sprint("tc", i), "", "", "hi")
			if status, out := post(t, target.WebhookURL, apiSecret, time.Now(), p); status != 200 {
				t.Errorf("message %d: %d %v", i, status, out)
			}
		}()
	}
	wg.Wait()
	// The passes keep racing until every agent slot is taken (more than 20
	// is a failure the checks below report).
	testenv.EventuallyErr(t, func() error {
		total := 0
		for _, l := range agentLoads(t, a, admin) {
			total += l.Assigned
		}
		if total < 20 {
			return fmt.Errorf("%d assigned, want 20", total)
		}
		return nil
	})
	cancel()
	racers.Wait()
	total := 0
	for id, l := range agentLoads(t, a, admin) {
		if l.Load > l.Capacity || l.Load != l.Assigned {
			t.Fatalf("agent %s: load %d, capacity %d, assigned %d", id, l.Load, l.Capacity, l.Assigned)
		}
		total += l.Assigned
	}
	if total != 20 {
		t.Fatalf("%d assigned, want 20 (4 agents of capacity 5)", total)
	}
}

// TestRoutingWorkingHours: outside working hours (read in the channel's
// time zone, holidays closed all day) conversations queue and openNow is
// false; once the channel opens they are routed.
func TestRoutingWorkingHours(t *testing.T) {
	s, admin, ch := routingServer(t)
	setPolicy(t, s, admin, ch.ID, map[string]any{"strategy": "LEAST_BUSY"})
	routingAgents(t, s, admin, 1, 5, "wh")

	// Open all week, but today (in Kiritimati, UTC+14) is a holiday there.
	// Pago Pago (UTC-11) is always on another date: open there.
	allWeek := []map[string]any{}
	for _, d := range []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"} {
		allWeek = append(allWeek, map[string]any{"day": d, "start": "00:00", "end": "24:00"})
	}
	kiri, _ := time.LoadLocation("Pacific/Kiritimati")
	today := time.Now().In(kiri).Format(time.DateOnly)
	hours := func(tz string) map[string]any {
		return map[string]any{"timezone": tz, "weekly": allWeek, "holidays": []string{today}}
	}
	openNow := func(wh map[string]any) bool {
		var out struct{ UpdateChannel struct{ OpenNow bool } }
		s.MustDo(t, admin, `mutation($id: ID!, $wh: WorkingHoursInput) { updateChannel(id: $id, input: {workingHours: $wh}) { openNow } }`,
			map[string]any{"id": ch.ID, "wh": wh}, &out)
		return out.UpdateChannel.OpenNow
	}
	if openNow(hours("Pacific/Kiritimati")) {
		t.Fatal("open on a holiday")
	}
	conv := mustPost(t, ch, senderPayload("w1", "wc1", "", "", "anyone there?"))
	if a := assignee(t, s, admin, conv, 500*time.Millisecond); a != "" {
		t.Fatalf("assigned on a holiday, to %s", a)
	}
	if !openNow(hours("Pacific/Pago_Pago")) {
		t.Fatal("closed in Pago Pago, where it is not the holiday's date")
	}
	// The sweep notices the channel opened.
	if a := assignee(t, s, admin, conv, 10*time.Second); a == "" {
		t.Fatal("not assigned once the channel opened")
	}
}

// TestTransferAndHistory: transfers move the conversation (and the load)
// and reach the new assignee's assignedToMe; the timeline keeps who, when
// and why: AUTO, TRANSFER (with its note), TAKEN.
func TestTransferAndHistory(t *testing.T) {
	s, admin, ch := routingServer(t)
	setPolicy(t, s, admin, ch.ID, map[string]any{"strategy": "LEAST_BUSY"})
	ags := routingAgents(t, s, admin, 1, 5, "tr")
	first := ags[0]
	secondID, second := newAgent(t, s, admin, "second@example.com", "AGENT")
	ws, err := s.DialWS(t, second, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sub := ws.Subscribe(`subscription { assignedToMe { type conversation { id assignee { id } } } }`, nil)
	s.WaitSubscribers(t, 1)

	conv := mustPost(t, ch, senderPayload("x1", "xc1", "", "", "help"))
	if a := assignee(t, s, admin, conv, 10*time.Second); a != first.ID {
		t.Fatalf("routed to %q", a)
	}
	s.MustDo(t, first.Token, `mutation($id: ID!, $a: ID!) { transferConversation(id: $id, agentID: $a, note: "speaks Finnish") { id } }`,
		map[string]any{"id": conv, "a": secondID}, nil)
	var ev struct {
		AssignedToMe struct {
			Type         string
			Conversation struct {
				ID       string
				Assignee struct{ ID string }
			}
		}
	}
	sub.Next(t, &ev)
	if ev.AssignedToMe.Type != "ASSIGNED" || ev.AssignedToMe.Conversation.ID != conv || ev.AssignedToMe.Conversation.Assignee.ID != secondID {
		t.Fatalf("assignedToMe: %+v", ev)
	}
	loads := agentLoads(t, s, admin)
	if loads[first.ID].Load != 0 || loads[secondID].Load != 1 {
		t.Fatalf("loads after the transfer: %+v", loads)
	}

	// To a team without the second agent: unassigned, then routed there.
	var team struct{ CreateTeam struct{ ID string } }
	s.MustDo(t, admin, `mutation($a: [ID!]) { createTeam(input: {name: "Tier 2", agentIDs: $a}) { id } }`, map[string]any{"a": []string{first.ID}}, &team)
	s.MustDo(t, second, `mutation($id: ID!, $t: ID!) { transferConversation(id: $id, teamID: $t) { id } }`,
		map[string]any{"id": conv, "t": team.CreateTeam.ID}, nil)
	if a := assignee(t, s, admin, conv, 10*time.Second); a != first.ID {
		t.Fatalf("after a transfer to the team, routed to %q", a)
	}

	var tl struct {
		Node struct {
			Customer struct {
				Timeline struct {
					Edges []struct {
						Node struct {
							ActivityKind string
							Reason       *string
							Note         *string
							Agent        *struct{ ID string }
						}
					}
				}
			}
		}
	}
	s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on Conversation { customer { timeline(first: 50) { edges { node {
		... on ConversationActivity { activityKind: kind reason note agent { id } } } } } } } } }`, map[string]any{"id": conv}, &tl)
	var steps []string
	for _, e := range tl.Node.Customer.Timeline.Edges {
		n := e.Node
		if n.ActivityKind == "" {
			continue
		}
		step := n.ActivityKind
		if n.Reason != nil {
			step += "/" + *n.Reason
		}
		if n.Note != nil && *n.Note != "" {
			step += "/" + *n.Note
		}
		steps = append(steps, step)
	}
	want := []string{"OPENED", "ASSIGNED/AUTO", "TRANSFERRED/TRANSFER/speaks Finnish", "TRANSFERRED/TRANSFER", "ASSIGNED/AUTO"}
	if !slices.Equal(steps, want) {
		t.Fatalf("history %v, want %v", steps, want)
	}
}

// TestRoutingStaysInItsWorkspace: routing runs as a background consumer
// over every workspace's events; a conversation is only ever given to an
// agent of its own workspace, and another workspace's free agents do not
// count as candidates.
func TestRoutingStaysInItsWorkspace(t *testing.T) {
	s, admin, _ := routingServer(t)
	agents := routingAgents(t, s, admin, 1, 5, "a")
	other := s.NewWorkspace(t, "other", "other-admin@example.com")
	setStatus(t, s, other, "OFFLINE")
	ch := createAPIChannel(t, s, other, "")
	setPolicy(t, s, other, ch.ID, map[string]any{"strategy": "LEAST_BUSY"})
	if code, _ := post(t, ch.WebhookURL, apiSecret, time.Now(), inboundPayload("m1", "cust-1", "hello")); code != 200 {
		t.Fatalf("webhook: %d", code)
	}
	var convs struct {
		Conversations struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	s.MustDo(t, other, `{ conversations(first: 5) { edges { node { id } } } }`, nil, &convs)
	if len(convs.Conversations.Edges) != 1 {
		t.Fatalf("conversations: %+v", convs)
	}
	conv := convs.Conversations.Edges[0].Node.ID
	if got := assignee(t, s, other, conv, 1500*time.Millisecond); got != "" {
		t.Fatalf("the other workspace's conversation went to %s (the first workspace's agent is %s)", got, agents[0].ID)
	}
	// Its own agent, once online, gets it.
	id, tok := newAgent(t, s, other, "b0@example.com", "AGENT")
	setStatus(t, s, tok, "ONLINE")
	if got := assignee(t, s, other, conv, testenv.Wait); got != id {
		t.Fatalf("assignee %q, want the workspace's own agent %s", got, id)
	}
}
