// Package workhours evaluates a channel's working hours: whether the channel
// is staffed at an instant, and when that next changes.
//
// Hours are local wall-clock times in the schedule's time zone. An instant is
// open when its local wall clock falls in [Start, End) of an interval of its
// local weekday and its local date is not a holiday. Across a DST transition
// this means an interval boundary that the clock skips takes effect when the
// clock jumps past it, and one that the clock repeats takes effect each time.
//
// The functions are pure. Data that does not parse (an unknown time zone, day
// or time) counts as closed: validation happens when a channel is saved.
package workhours

import (
	"slices"
	"sync"
	"time"

	"github.com/switchboard/switchboard/internal/schematype"
)

const minutesPerDay = 24 * 60

// horizon bounds the search for the next change: a run of holidays can keep
// a channel closed for weeks, but not for more than a year.
const horizon = 400 * 24 * time.Hour

// Open reports whether a channel with working hours wh is staffed at t. A nil
// wh means always open; an empty Weekly means never open.
func Open(wh *schematype.WorkingHours, t time.Time) bool {
	if wh == nil {
		return true
	}
	s, ok := compile(wh)
	return ok && s.open(t)
}

// NextChange returns the first instant after t at which Open(wh, ·) changes
// value, in wh's time zone. It is false when Open never changes: nil wh, no
// usable interval, or staffed around the clock with no holiday within the
// search horizon.
func NextChange(wh *schematype.WorkingHours, t time.Time) (time.Time, bool) {
	if wh == nil {
		return time.Time{}, false
	}
	s, ok := compile(wh)
	if !ok || !s.staffed() {
		return time.Time{}, false
	}
	was := s.open(t)
	limit := t.Add(horizon)
	for cur := t; cur.Before(limit); {
		cur = s.nextBoundary(cur)
		if s.open(cur) != was {
			return cur, true
		}
	}
	return time.Time{}, false
}

// schedule is WorkingHours parsed for evaluation.
type schedule struct {
	loc      *time.Location
	days     [7][]span // by time.Weekday
	bounds   []int     // sorted minutes of the day at which Open may change; starts with 0
	holidays map[date]bool
}

// span is a staffed interval in minutes after local midnight: [start, end).
type span struct{ start, end int }

type date struct {
	year  int
	month time.Month
	day   int
}

var weekdays = map[string]time.Weekday{
	"SUNDAY": time.Sunday, "MONDAY": time.Monday, "TUESDAY": time.Tuesday,
	"WEDNESDAY": time.Wednesday, "THURSDAY": time.Thursday,
	"FRIDAY": time.Friday, "SATURDAY": time.Saturday,
}

// compile parses wh, skipping intervals and holidays that do not parse. It is
// false when the time zone does not load.
func compile(wh *schematype.WorkingHours) (*schedule, bool) {
	loc, ok := location(wh.Timezone)
	if !ok {
		return nil, false
	}
	s := &schedule{loc: loc, bounds: []int{0}}
	for _, iv := range wh.Weekly {
		day, ok := weekdays[iv.Day]
		start, okStart := minutes(iv.Start)
		end, okEnd := minutes(iv.End)
		if !ok || !okStart || !okEnd || start >= end {
			continue
		}
		s.days[day] = append(s.days[day], span{start, end})
		s.bounds = append(s.bounds, start, end%minutesPerDay)
	}
	slices.Sort(s.bounds)
	s.bounds = slices.Compact(s.bounds)
	for _, h := range wh.Holidays {
		d, err := time.Parse(time.DateOnly, h)
		if err != nil {
			continue
		}
		if s.holidays == nil {
			s.holidays = make(map[date]bool, len(wh.Holidays))
		}
		s.holidays[date{d.Year(), d.Month(), d.Day()}] = true
	}
	return s, true
}

// staffed reports whether any interval parsed.
func (s *schedule) staffed() bool {
	for _, spans := range s.days {
		if len(spans) > 0 {
			return true
		}
	}
	return false
}

func (s *schedule) open(t time.Time) bool {
	lt := t.In(s.loc)
	y, m, d := lt.Date()
	if s.holidays[date{y, m, d}] {
		return false
	}
	now := lt.Hour()*60 + lt.Minute()
	for _, sp := range s.days[lt.Weekday()] {
		if sp.start <= now && now < sp.end {
			return true
		}
	}
	return false
}

// nextBoundary returns the first instant after t at which the local wall clock
// reaches a boundary minute (or midnight), or jumps at a zone transition. Open
// is constant from t up to that instant.
func (s *schedule) nextBoundary(t time.Time) time.Time {
	lt := t.In(s.loc)
	now := lt.Hour()*60 + lt.Minute()
	next := minutesPerDay
	if i, _ := slices.BinarySearch(s.bounds, now+1); i < len(s.bounds) {
		next = s.bounds[i]
	}
	// Within one zone the offset is fixed, so wall-clock time is elapsed time.
	into := time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	c := lt.Add(time.Duration(next-now)*time.Minute - into)
	if _, end := lt.ZoneBounds(); !end.IsZero() && end.Before(c) {
		c = end
	}
	return c.In(s.loc)
}

// minutes parses "HH:MM" (00:00 to 24:00) into minutes after midnight.
func minutes(v string) (int, bool) {
	if len(v) != 5 || v[2] != ':' {
		return 0, false
	}
	h, okH := twoDigits(v[0:2])
	m, okM := twoDigits(v[3:5])
	if !okH || !okM || m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, false
	}
	return h*60 + m, true
}

func twoDigits(v string) (int, bool) {
	if v[0] < '0' || v[0] > '9' || v[1] < '0' || v[1] > '9' {
		return 0, false
	}
	return int(v[0]-'0')*10 + int(v[1]-'0'), true
}

// locations caches loaded time zones by name (string to *time.Location):
// Open runs on every routing decision and loading reads the zone database.
// Only successful loads are cached, so bad input cannot grow it.
var locations sync.Map

// location loads a time zone by IANA name. "" and "Local" are refused, as
// validation refuses them: a schedule must not depend on the host.
func location(name string) (*time.Location, bool) {
	if name == "" || name == "Local" {
		return nil, false
	}
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), true
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	locations.Store(name, loc)
	return loc, true
}
