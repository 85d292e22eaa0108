package workhours_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/workhours"
)

var (
	workweek = []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"}
	allWeek  = []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"}
)

// every returns the interval start-end on each of days.
func every(days []string, start, end string) []schematype.WeeklyInterval {
	out := make([]schematype.WeeklyInterval, len(days))
	for i, d := range days {
		out[i] = schematype.WeeklyInterval{Day: d, Start: start, End: end}
	}
	return out
}

func hours(tz string, holidays []string, weekly ...[]schematype.WeeklyInterval) *schematype.WorkingHours {
	wh := &schematype.WorkingHours{Timezone: tz, Holidays: holidays}
	for _, w := range weekly {
		wh.Weekly = append(wh.Weekly, w...)
	}
	return wh
}

// at parses an RFC 3339 test literal.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

var (
	// Split weekdays, Saturday evening to midnight, a week of holidays.
	shanghai = hours("Asia/Shanghai",
		[]string{"2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04", "2025-10-05", "2025-10-06", "2025-10-07"},
		every(workweek, "09:00", "12:00"), every(workweek, "13:00", "18:00"),
		every([]string{"SATURDAY"}, "18:00", "24:00"))
	shanghai9to5 = hours("Asia/Shanghai", nil, every(workweek, "09:00", "17:00"))
	newYork      = hours("America/New_York", nil, every(workweek, "09:00", "17:00"))
	// Europe/London skips 01:00-02:00 on 2025-03-30 and repeats it on 2025-10-26.
	london  = hours("Europe/London", nil, every([]string{"SUNDAY"}, "01:30", "02:30"))
	allDay  = hours("UTC", nil, every(allWeek, "00:00", "24:00"))
	mondays = hours("UTC", mondaysFrom("2025-06-02", 10), every([]string{"MONDAY"}, "09:00", "10:00"))
)

// mondaysFrom returns n consecutive weekly dates starting at first.
func mondaysFrom(first string, n int) []string {
	d := at(first + "T00:00:00Z")
	out := make([]string, n)
	for i := range out {
		out[i] = d.AddDate(0, 0, 7*i).Format(time.DateOnly)
	}
	return out
}

func TestOpen(t *testing.T) {
	badIntervals := hours("UTC", nil, []schematype.WeeklyInterval{
		{Day: "Monday", Start: "09:00", End: "17:00"},
		{Day: "MONDAY", Start: "9:00", End: "17:00"},
		{Day: "MONDAY", Start: "09:00", End: "24:30"},
		{Day: "MONDAY", Start: "17:00", End: "09:00"},
		{Day: "MONDAY", Start: "ab:cd", End: "17:00"},
	})
	tests := []struct {
		name string
		wh   *schematype.WorkingHours
		at   string
		want bool
	}{
		{"before start", shanghai, "2025-06-02T08:59:59+08:00", false},
		{"start is inclusive", shanghai, "2025-06-02T09:00:00+08:00", true},
		{"just before end", shanghai, "2025-06-02T11:59:59.999+08:00", true},
		{"end is exclusive", shanghai, "2025-06-02T12:00:00+08:00", false},
		{"between intervals", shanghai, "2025-06-02T12:30:00+08:00", false},
		{"second interval", shanghai, "2025-06-02T13:00:00+08:00", true},
		{"after second interval", shanghai, "2025-06-02T18:00:00+08:00", false},
		{"until 24:00", shanghai, "2025-06-07T23:59:59+08:00", true},
		{"24:00 is exclusive", shanghai, "2025-06-08T00:00:00+08:00", false},
		{"unstaffed day", shanghai, "2025-06-08T10:00:00+08:00", false},
		{"day before holiday", shanghai, "2025-09-30T10:00:00+08:00", true},
		{"holiday on a staffed weekday", shanghai, "2025-10-01T10:00:00+08:00", false},
		{"day after holidays", shanghai, "2025-10-08T09:30:00+08:00", true},
		{"instant open in Shanghai hours", shanghai9to5, "2025-06-02T02:00:00Z", true},
		{"same instant closed in New York hours", newYork, "2025-06-02T02:00:00Z", false},
		{"instant closed in Shanghai hours", shanghai9to5, "2025-06-02T14:00:00Z", false},
		{"same instant open in New York hours", newYork, "2025-06-02T14:00:00Z", true},
		{"March switch: 08:59 EDT", newYork, "2025-03-10T12:59:00Z", false},
		{"March switch: 09:30 EDT, 08:30 EST", newYork, "2025-03-10T13:30:00Z", true},
		{"March switch: 16:59 EDT", newYork, "2025-03-10T20:59:00Z", true},
		{"March switch: 17:00 EDT, 16:00 EST", newYork, "2025-03-10T21:00:00Z", false},
		{"November switch: 08:30 EST, 09:30 EDT", newYork, "2025-11-03T13:30:00Z", false},
		{"November switch: 09:00 EST", newYork, "2025-11-03T14:00:00Z", true},
		{"November switch: 16:59 EST", newYork, "2025-11-03T21:59:00Z", true},
		{"November switch: 17:00 EST", newYork, "2025-11-03T22:00:00Z", false},
		{"skipped start: before the jump", london, "2025-03-30T00:59:59Z", false},
		{"skipped start: open from the jump", london, "2025-03-30T01:00:00Z", true},
		{"repeated hour: first pass", london, "2025-10-26T00:45:00Z", true},
		{"repeated hour: back to 01:15", london, "2025-10-26T01:15:00Z", false},
		{"repeated hour: second pass", london, "2025-10-26T01:45:00Z", true},
		{"nil is always open", nil, "2025-06-08T03:00:00Z", true},
		{"empty weekly is never open", hours("UTC", nil), "2025-06-02T10:00:00Z", false},
		{"unknown time zone is closed", hours("Mars/Olympus", nil, every(allWeek, "00:00", "24:00")), "2025-06-02T10:00:00Z", false},
		{"empty time zone is closed", hours("", nil, every(allWeek, "00:00", "24:00")), "2025-06-02T10:00:00Z", false},
		{"unparsable intervals are closed", badIntervals, "2025-06-02T10:00:00Z", false},
		{"unparsable holidays are ignored", hours("UTC", []string{"soon", "2025-13-01"}, every(allWeek, "00:00", "24:00")), "2025-06-02T10:00:00Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workhours.Open(tt.wh, at(tt.at)); got != tt.want {
				t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestNextChange(t *testing.T) {
	christmas := hours("UTC", []string{"2025-12-25"}, every(allWeek, "00:00", "24:00"))
	tests := []struct {
		name string
		wh   *schematype.WorkingHours
		from string
		want string // "" when it never changes
	}{
		{"inside an interval: its end", newYork, "2025-03-10T10:00:00-04:00", "2025-03-10T17:00:00-04:00"},
		{"at a start: its end", shanghai, "2025-06-02T09:00:00+08:00", "2025-06-02T12:00:00+08:00"},
		{"at an end: the next start", shanghai, "2025-06-02T12:00:00+08:00", "2025-06-02T13:00:00+08:00"},
		{"closed night: next day's start", newYork, "2025-03-11T20:00:00-04:00", "2025-03-12T09:00:00-04:00"},
		{"across a weekend", shanghai9to5, "2025-06-06T17:00:00+08:00", "2025-06-09T09:00:00+08:00"},
		{"24:00: midnight", shanghai, "2025-06-07T20:00:00+08:00", "2025-06-08T00:00:00+08:00"},
		{"across a weekend and the March switch", newYork, "2025-03-07T18:00:00-05:00", "2025-03-10T09:00:00-04:00"},
		{"across a weekend and the November switch", newYork, "2025-10-31T18:00:00-04:00", "2025-11-03T09:00:00-05:00"},
		{"skipping holidays", shanghai, "2025-09-30T18:00:00+08:00", "2025-10-08T09:00:00+08:00"},
		{"holidays beyond 14 days", mondays, "2025-06-01T00:00:00Z", "2025-08-11T09:00:00Z"},
		{"holiday in a 24/7 schedule", christmas, "2025-12-20T12:00:00Z", "2025-12-25T00:00:00Z"},
		{"end of a holiday in a 24/7 schedule", christmas, "2025-12-25T05:00:00Z", "2025-12-26T00:00:00Z"},
		{"skipped start: the jump", london, "2025-03-30T00:00:00Z", "2025-03-30T01:00:00Z"},
		{"repeated hour: closes at fall back", london, "2025-10-26T00:45:00Z", "2025-10-26T01:00:00Z"},
		{"repeated hour: reopens", london, "2025-10-26T01:00:00Z", "2025-10-26T01:30:00Z"},
		{"nil never changes", nil, "2025-06-02T10:00:00Z", ""},
		{"empty weekly never changes", hours("UTC", nil), "2025-06-02T10:00:00Z", ""},
		{"24/7 never changes", allDay, "2025-06-02T10:00:00Z", ""},
		{"unknown time zone never changes", hours("Mars/Olympus", nil, every(workweek, "09:00", "17:00")), "2025-06-02T10:00:00Z", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := workhours.NextChange(tt.wh, at(tt.from))
			if tt.want == "" {
				if ok {
					t.Fatalf("NextChange(%s) = %s, want none", tt.from, got)
				}
				return
			}
			if !ok || !got.Equal(at(tt.want)) {
				t.Fatalf("NextChange(%s) = %s, %v, want %s", tt.from, got, ok, tt.want)
			}
			if got.Location().String() != tt.wh.Timezone {
				t.Errorf("NextChange(%s) is in %s, want %s", tt.from, got.Location(), tt.wh.Timezone)
			}
		})
	}
}

// TestNextChangeConsistent checks, for random instants in a year, that Open
// differs at NextChange and is constant before it. Every boundary below is a
// multiple of 30 minutes and every offset one of 30 minutes, so each change
// falls on a UTC quarter hour: checking every quarter hour in between proves
// no earlier change was missed.
func TestNextChangeConsistent(t *testing.T) {
	schedules := map[string]*schematype.WorkingHours{
		"shanghai": shanghai,
		"new york": hours("America/New_York", []string{"2025-07-04", "2025-11-27", "2025-12-25"},
			every(workweek, "09:00", "17:00")),
		"london": hours("Europe/London", nil, every(workweek, "08:00", "20:00"),
			every([]string{"SUNDAY"}, "01:30", "02:30")),
		// Chile changes clocks at midnight.
		"santiago": hours("America/Santiago", nil, every(workweek, "09:00", "18:00"),
			every([]string{"SATURDAY"}, "23:00", "24:00"), every([]string{"SUNDAY"}, "00:00", "01:30")),
		// Lord Howe Island moves by half an hour.
		"lord howe": hours("Australia/Lord_Howe", nil, every(allWeek, "01:30", "02:30"),
			every(allWeek, "09:00", "17:00")),
		"kolkata": hours("Asia/Kolkata", []string{"2025-08-15"}, every(workweek, "09:30", "18:00")),
	}
	const quarter = 15 * time.Minute
	year := at("2025-01-01T00:00:00Z")
	rng := rand.New(rand.NewPCG(1, 2))
	for name, wh := range schedules {
		t.Run(name, func(t *testing.T) {
			for range 200 {
				from := year.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
				next, ok := workhours.NextChange(wh, from)
				if !ok || !next.After(from) {
					t.Fatalf("NextChange(%s) = %s, %v", from, next, ok)
				}
				was := workhours.Open(wh, from)
				if workhours.Open(wh, next) == was {
					t.Fatalf("NextChange(%s) = %s: Open is %v at both", from, next, was)
				}
				if next.Sub(next.Truncate(quarter)) != 0 {
					t.Fatalf("NextChange(%s) = %s: not on a quarter hour", from, next)
				}
				samples := []time.Time{
					next.Add(-time.Nanosecond),
					from.Add(next.Sub(from) / 2),
					from.Add(time.Duration(rng.Int64N(int64(next.Sub(from))))),
				}
				for p := from.Truncate(quarter).Add(quarter); p.Before(next); p = p.Add(quarter) {
					samples = append(samples, p)
				}
				for _, p := range samples {
					if workhours.Open(wh, p) != was {
						t.Fatalf("NextChange(%s) = %s, but Open changes by %s", from, next, p)
					}
				}
			}
		})
	}
}
