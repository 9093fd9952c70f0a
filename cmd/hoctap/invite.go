package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"hoctap/flows"
	"hoctap/role"
	"hoctap/store"
)

func inviteCommands() map[string]command {
	return map[string]command{
		"list":   {usage: "[-o FILE]", summary: "list the invitations, the newest first", run: inviteList},
		"revoke": {usage: "ID", summary: "withdraw an invitation", run: inviteRevoke},
	}
}

// inviteUsage is the usage line of hoctap invite.
const inviteUsage = "--role ROLE --area CODE [--uses N] [--expires 7d] | list | revoke ID"

// runInvite makes an invitation, or lists or revokes them.
func runInvite(e *env, args []string) error {
	if args = commandFirst(args, inviteCommands()); len(args) > 0 {
		if _, ok := inviteCommands()[args[0]]; ok {
			return dispatch(e, "invite", inviteCommands(), args)
		}
	}
	return inviteCreate(e, args)
}

// inviteCreate prints the link of a new invitation alone on one line:
// https://t.me/<bot>?start=<payload>. It calls no Telegram API: the bot's
// username comes from TELEGRAM_BOT_USERNAME.
func inviteCreate(e *env, args []string) error {
	fs := bareFlags(e, "hoctap invite", inviteUsage)
	roleName := fs.String("role", "", "what the invitation gives: "+strings.Join(roleNames(), ", ")+" (household: enrols into a village)")
	areaCode := fs.String("area", "", "the area (and everything below it) of the role, or the household's village (`CODE`)")
	uses := fs.Int("uses", 0, "how many people may use it (0: no limit)")
	expires := fs.String("expires", "7d", "how long it is valid (`DURATION`: 7d, 36h)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if !role.Valid(*roleName) && *roleName != flows.Household {
		return usageErrorf("--role is one of %s, not %q", strings.Join(roleNames(), ", "), *roleName)
	}
	if *areaCode == "" {
		return usageErrorf("--area names the area by its code")
	}
	if *uses < 0 {
		return usageErrorf("--uses is 0 (no limit) or more")
	}
	valid, err := parseDays(*expires)
	if err != nil || valid <= 0 {
		return usageErrorf("--expires is a duration such as 7d or 36h, not %q", *expires)
	}
	username := strings.TrimPrefix(e.getenv("TELEGRAM_BOT_USERNAME"), "@")
	if username == "" {
		return usageErrorf("TELEGRAM_BOT_USERNAME is not set: the link names the bot")
	}
	ctx := context.Background()
	db, err := openMigrated(ctx, e) // the first admin's invitation is made on a new installation
	if err != nil {
		return err
	}
	defer db.Close()
	payload, err := db.CreateInvitation(ctx, flows.NewInvitation{Role: *roleName, Area: *areaCode, Uses: *uses, Expires: time.Now().Add(valid)})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "https://t.me/%s?start=%s\n", username, payload)
	return err
}

func roleNames() []string {
	names := []string{}
	for _, r := range role.Roles {
		names = append(names, string(r))
	}
	return append(names, flows.Household)
}

// parseDays reads a duration that may be in days ("7d").
func parseDays(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

func inviteList(e *env, args []string) error {
	fs, out := flags(e, "hoctap invite list", "[-o FILE]")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	var all []store.Invitation
	err := withReady(e, func(ctx context.Context, db *store.DB) (err error) {
		all, err = db.Invitations(ctx, "")
		return err
	})
	if err != nil {
		return err
	}
	now := time.Now()
	return writeResult(e, *out, func(w io.Writer) error {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tAREA\tUSED\tEXPIRES\tSTATE")
		for _, inv := range all {
			limit := "-"
			if inv.Uses > 0 {
				limit = strconv.Itoa(inv.Uses)
			}
			state := "valid"
			switch {
			case inv.Revoked:
				state = "revoked"
			case !now.Before(inv.Expires):
				state = "expired"
			case inv.Uses > 0 && inv.Used >= inv.Uses:
				state = "used up"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%s\t%s\t%s\n", inv.ID, inv.Role, inv.Area, inv.Used, limit, inv.Expires.UTC().Format(time.RFC3339), state)
		}
		return tw.Flush()
	})
}

func inviteRevoke(e *env, args []string) error {
	return revoke(e, "hoctap invite revoke", args, (*store.DB).RevokeInvitation)
}

// revoke ends the one invitation or role its argument names.
func revoke(e *env, name string, args []string, end func(*store.DB, context.Context, int64, int64) error) error {
	fs := bareFlags(e, name, "ID")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("name one ID")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return usageErrorf("the ID is a number, not %q", fs.Arg(0))
	}
	err = withReady(e, func(ctx context.Context, db *store.DB) error { return end(db, ctx, id, 0) })
	if errors.Is(err, flows.ErrNotFound) {
		return fmt.Errorf("no %d in force", id)
	}
	if err != nil {
		return err
	}
	e.log.Info("revoked", "id", id)
	return nil
}

// withReady runs fn on the database named by DATABASE_URL, whose schema
// must be up to date.
func withReady(e *env, fn func(ctx context.Context, db *store.DB) error) error {
	ctx := context.Background()
	db, err := openReady(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(ctx, db)
}

func rolesCommands() map[string]command {
	return map[string]command{
		"list":   {usage: "[--area CODE] [-o FILE]", summary: "list the roles in force, over an area and below it", run: rolesList},
		"revoke": {usage: "ID", summary: "end a role", run: rolesRevoke},
	}
}

func runRoles(e *env, args []string) error { return dispatch(e, "roles", rolesCommands(), args) }

func rolesList(e *env, args []string) error {
	fs, out := flags(e, "hoctap roles list", "[--area CODE] [-o FILE]")
	under := fs.String("area", "", "only the roles over this area and below it (`CODE`)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	var all []store.Role
	err := withReady(e, func(ctx context.Context, db *store.DB) (err error) {
		all, err = db.Roles(ctx, *under)
		return err
	})
	if err != nil {
		return err
	}
	return writeResult(e, *out, func(w io.Writer) error {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPERSON\tROLE\tAREA\tSINCE")
		for _, r := range all {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\n", r.ID, r.Person, r.Role, r.Area, r.GrantedAt.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

func rolesRevoke(e *env, args []string) error {
	return revoke(e, "hoctap roles revoke", args, (*store.DB).RevokeRole)
}

// runChain shows or sets how a province recognises titles.
func runChain(e *env, args []string) error {
	fs := bareFlags(e, "hoctap chain", chainUsage)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return usageErrorf("name a province, and accept or confirm to set its chain")
	}
	province := fs.Arg(0)
	if fs.NArg() == 1 {
		return withReady(e, func(ctx context.Context, db *store.DB) error {
			chain, err := db.Chain(ctx, province)
			if err == nil {
				_, err = fmt.Fprintln(e.stdout, chain)
			}
			return err
		})
	}
	chain := fs.Arg(1)
	if chain != flows.ChainAccept && chain != flows.ChainConfirm {
		return usageErrorf("the chain is accept or confirm, not %q", chain)
	}
	return withReady(e, func(ctx context.Context, db *store.DB) error {
		n, err := db.SetChain(ctx, province, chain, 0, time.Now())
		if err == nil && n > 0 {
			// See store.SetChain: what waited for a recogniser is recognised;
			// that is a result, so it goes to stdout.
			_, err = fmt.Fprintf(e.stdout, "%d accepted submissions that waited for a recogniser were recognised\n", n)
		}
		return err
	})
}

// chainUsage is the usage line of hoctap chain.
const chainUsage = "PROVINCE [accept|confirm]"

// seasonUsage is the usage line of hoctap season.
const seasonUsage = "PROVINCE YEAR OPENS CLOSES"

// runSeason sets a province's assessment season of a year.
func runSeason(e *env, args []string) error {
	fs := bareFlags(e, "hoctap season", seasonUsage)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 4 {
		return usageErrorf("name the province, the year, and the days it opens and closes (YYYY-MM-DD)")
	}
	year, err := strconv.Atoi(fs.Arg(1))
	if err != nil || year < 2000 || year > 2100 {
		return usageErrorf("the year is a year, not %q", fs.Arg(1))
	}
	opens, err1 := time.Parse(time.DateOnly, fs.Arg(2))
	closes, err2 := time.Parse(time.DateOnly, fs.Arg(3))
	season := flows.Season{Year: year, Opens: opens, Closes: closes}
	if err1 != nil || err2 != nil || !flows.SeasonFits(season) {
		return usageErrorf("OPENS and CLOSES are days (YYYY-MM-DD), the first not after the second, at most a year apart, holding days of YEAR")
	}
	err = withReady(e, func(ctx context.Context, db *store.DB) error { return db.SetSeason(ctx, fs.Arg(0), season, 0) })
	if errors.Is(err, flows.ErrOverlap) {
		return fmt.Errorf("the season of %d shares days with another year's season of %s", year, fs.Arg(0))
	}
	return err
}
