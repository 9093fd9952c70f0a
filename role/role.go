// Package role holds who may do what: the roles a person holds over an
// area (and everything below it) and the actions each role allows. The
// table is data, read by the store when it checks an action on the
// server, and by the screens that draw only the buttons a person may use.
package role

import "slices"

// Role is what a person is for an area.
type Role string

// The roles. A representative (of their own subjects) is not a role of
// this table: it is who represents a subject.
const (
	Admin      Role = "admin"      // sets up the installation for an area
	Leader     Role = "leader"     // follows the progress of an area
	Reviewer   Role = "reviewer"   // reviews the submissions of an area
	Recogniser Role = "recogniser" // records recognitions for an area
)

// Roles are all roles, in the order screens list them.
var Roles = []Role{Admin, Leader, Reviewer, Recogniser}

// Action is something a role allows within its area.
type Action string

// The actions.
const (
	ReviewList   Action = "review.list"   // see the submissions waiting and open one
	ReviewDecide Action = "review.decide" // accept, send back or reject a submission
	Recognise    Action = "recognise"     // confirm recognitions
	Progress     Action = "progress"      // see an area's figures
	Invite       Action = "invite"        // make invitations to roles
	Administer   Action = "administer"    // give the admin role, set how titles are recognised
	Places       Action = "places"        // add a commune's villages, move its households to them
	Settings     Action = "settings"      // set a province's seasons and its list of reasons for sending back or rejecting
	Broadcast    Action = "broadcast"     // send an announcement to the people of an area
)

// allows is the permission table.
var allows = map[Role][]Action{
	Admin:      {ReviewList, ReviewDecide, Recognise, Progress, Invite, Administer, Places, Settings, Broadcast},
	Leader:     {Progress, Invite, Places, Settings, Broadcast},
	Reviewer:   {ReviewList, ReviewDecide},
	Recogniser: {ReviewList, Recognise},
}

// Allows reports whether a role allows an action.
func Allows(r Role, a Action) bool { return slices.Contains(allows[r], a) }

// Holders returns the roles that allow an action, as text for a query.
func Holders(a Action) []string {
	var out []string
	for _, r := range Roles {
		if Allows(r, a) {
			out = append(out, string(r))
		}
	}
	return out
}

// Valid reports whether s names a role.
func Valid(s string) bool { return slices.Contains(Roles, Role(s)) }
