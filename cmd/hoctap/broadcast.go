package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"hoctap/flows"
	"hoctap/flows/broadcast"
	"hoctap/role"
	"hoctap/store"
)

// broadcastUsage is the usage line of hoctap broadcast.
const broadcastUsage = "(--all | --role ROLE --area CODE) (--text TEXT | --text-vi TEXT --text-en TEXT) [--at TIME] [--yes] | status ID | pause ID | resume ID | cancel ID"

func broadcastCommands() map[string]command {
	state := func(s string) func(*env, []string) error {
		return func(e *env, args []string) error { return broadcastSet(e, "hoctap broadcast "+s, s, args) }
	}
	return map[string]command{
		"status": {usage: "ID", summary: "show how a broadcast goes: its state, and how many were sent, are pending and failed", run: broadcastStatus},
		"pause":  {usage: "ID", summary: "pause a broadcast: what is in flight goes, nothing more", run: state("pause")},
		"resume": {usage: "ID", summary: "resume a paused broadcast", run: state("resume")},
		"cancel": {usage: "ID", summary: "stop a broadcast for good", run: state("cancel")},
	}
}

// runBroadcast queues a broadcast, or shows or changes one.
// A subcommand is named first ("hoctap broadcast status 12"): a text such
// as --text cancel is never taken for one.
func runBroadcast(e *env, args []string) error {
	if len(args) > 0 {
		if _, ok := broadcastCommands()[args[0]]; ok {
			return dispatch(e, "broadcast", broadcastCommands(), args)
		}
	}
	return broadcastQueue(e, args)
}

// broadcastQueue queues a broadcast, which the running serve delivers,
// and prints its id alone on stdout. Without --yes it says how many it
// reaches and asks first.
func broadcastQueue(e *env, args []string) error {
	fs := bareFlags(e, "hoctap broadcast", broadcastUsage)
	all := fs.Bool("all", false, "send to every person who agreed to use the bot and has not blocked it")
	roleName := fs.String("role", "", "send to the holders of a role over the area and below: "+strings.Join(audienceRoles(), ", "))
	areaCode := fs.String("area", "", "the area (and everything below it) of --role (`CODE`)")
	text := fs.String("text", "", "the announcement, the same in both languages")
	textVI := fs.String("text-vi", "", "the announcement in Vietnamese (with --text-en)")
	textEN := fs.String("text-en", "", "the announcement in English (with --text-vi)")
	at := fs.String("at", "", "when it goes out (`TIME`: 2026-12-24 08:00, Vietnam's time, or RFC 3339); at once when not given")
	yes := fs.Bool("yes", false, "send without asking")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	var a flows.Audience
	switch {
	case *all && (*roleName != "" || *areaCode != ""):
		return usageErrorf("--all goes to everyone: give it without --role and --area")
	case *all:
		a.Everyone = true
	case *roleName == "" || *areaCode == "":
		return usageErrorf("give --all, or --role and --area")
	case !role.Valid(*roleName) && *roleName != flows.Representative:
		return usageErrorf("--role is one of %s, not %q", strings.Join(audienceRoles(), ", "), *roleName)
	default:
		a.Role, a.Area = *roleName, *areaCode
	}
	b := flows.NewBroadcast{Audience: a}
	switch {
	case *text != "" && (*textVI != "" || *textEN != ""):
		return usageErrorf("give --text, or --text-vi and --text-en, not both")
	case *text != "":
		b.TextVI, b.TextEN = *text, *text
	case *textVI == "" || *textEN == "":
		return usageErrorf("give --text, or both --text-vi and --text-en")
	default:
		b.TextVI, b.TextEN = *textVI, *textEN
	}
	for _, t := range []string{b.TextVI, b.TextEN} {
		if !broadcast.TextFits(t) {
			return usageErrorf("the text is 1 to %d characters (an emoji counts two, as Telegram counts)", broadcast.MaxText)
		}
	}
	now := time.Now()
	b.At = now
	if *at != "" {
		t, err := parseTime(*at)
		if err != nil {
			return usageErrorf("--at is a time such as 2026-12-24 08:00 or 2026-12-24T08:00:00+07:00, not %q", *at)
		}
		if t.Before(now.Add(-time.Minute)) {
			return usageErrorf("--at %s has passed", *at)
		}
		b.At = t
	}
	return withReady(e, func(ctx context.Context, db *store.DB) error {
		if !*yes {
			n, err := db.Recipients(ctx, a)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "This broadcast reaches %d people now. Send it? [y/N] ", n)
			answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
			if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
				return errors.New("nothing was queued")
			}
		}
		id, n, err := db.QueueBroadcast(ctx, b, now)
		if err != nil {
			return err
		}
		e.log.Info("broadcast queued; the running serve sends it", "broadcast", id, "recipients", n, "at", b.At.Format(time.RFC3339))
		_, err = fmt.Fprintln(e.stdout, id)
		return err
	})
}

// audienceRoles are the values of --role.
func audienceRoles() []string {
	var names []string
	for _, r := range role.Roles {
		names = append(names, string(r))
	}
	return append(names, flows.Representative)
}

// parseTime reads a moment: RFC 3339, or a date and a time of day in
// Vietnam's time.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, store.Vietnam); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a time")
}

func broadcastID(fs interface{ Args() []string }) (int64, error) {
	if len(fs.Args()) != 1 {
		return 0, usageErrorf("name the broadcast by its id")
	}
	id, err := strconv.ParseInt(fs.Args()[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErrorf("a broadcast's id is a number, not %q", fs.Args()[0])
	}
	return id, nil
}

func broadcastStatus(e *env, args []string) error {
	fs := bareFlags(e, "hoctap broadcast status", "ID")
	if err := parse(fs, args); err != nil {
		return err
	}
	id, err := broadcastID(fs)
	if err != nil {
		return err
	}
	return withReady(e, func(ctx context.Context, db *store.DB) error {
		s, err := db.BroadcastStatusOf(ctx, id, 0)
		if err != nil {
			return err
		}
		return printBroadcast(e, s)
	})
}

// broadcastSet pauses, resumes or cancels a broadcast and prints its
// status after.
func broadcastSet(e *env, name, verb string, args []string) error {
	fs := bareFlags(e, name, "ID")
	if err := parse(fs, args); err != nil {
		return err
	}
	id, err := broadcastID(fs)
	if err != nil {
		return err
	}
	state := map[string]string{"pause": flows.BroadcastPaused, "resume": flows.BroadcastSending, "cancel": flows.BroadcastCancelled}[verb]
	return withReady(e, func(ctx context.Context, db *store.DB) error {
		s, err := db.SetBroadcast(ctx, id, 0, state, time.Now())
		if err != nil {
			return err
		}
		return printBroadcast(e, s)
	})
}

// printBroadcast writes a broadcast's status, one "name value" a line.
func printBroadcast(e *env, s flows.BroadcastStatus) error {
	_, err := fmt.Fprintf(e.stdout, "id %d\nstate %s\nat %s\nrecipients %d\nsent %d\npending %d\nfailed %d\n",
		s.ID, s.State, s.At.In(store.Vietnam).Format(time.RFC3339), s.Recipients, s.Sent, s.Pending, s.Failed)
	return err
}
