package flows

import (
	"cmp"
	"context"
	"errors"
	"io"
	"math"
	"slices"
	"time"

	"hoctap/scoring"
)

// Errors the stores return that the conversations branch on.
var (
	// ErrConflict: the object changed since the revision the step was made
	// for (another person, another device, a duplicate delivery).
	ErrConflict = errors.New("changed meanwhile")
	// ErrDone: the input was already applied (its key was seen before).
	ErrDone = errors.New("input already applied")
	// ErrNotFound: no such record.
	ErrNotFound = errors.New("not found")
	// ErrExists: the subject has an assessment for the year already, in
	// progress or submitted (an abandoned one does not count).
	ErrExists = errors.New("the subject has an assessment for the year already")
	// ErrInviteInvalid: an invitation link nobody was given (a payload not
	// made with the installation's key, or of no invitation).
	ErrInviteInvalid = errors.New("not a valid invitation")
	// ErrInviteEnded: the invitation expired or was revoked.
	ErrInviteEnded = errors.New("the invitation is no longer valid")
	// ErrInviteUsedUp: the invitation was used as often as it allows.
	ErrInviteUsedUp = errors.New("the invitation is used up")
	// ErrNoHousehold: a Member invitation was opened by a person who
	// represents no household yet; it is not used.
	ErrNoHousehold = errors.New("no household to join with")
	// ErrOverlap: a season's days overlap another year's season of the
	// same province.
	ErrOverlap = errors.New("overlaps another season")
	// ErrLimit: a list would grow past its limit (a province's reasons).
	ErrLimit = errors.New("the list is full")
)

// Household is the role of an invitation that enrols a household into a
// village, beside the roles of package role.
const Household = "household"

// Representative is the role of an invitation to represent one subject
// beside who represents it already; as a broadcast's audience, the people
// who represent a household, clan, village or unit of the area.
const Representative = "representative"

// Member is the role of an invitation for a household to join a clan as
// one of its member households: the households the person opening it
// represents join the clan the invitation names.
const Member = "member"

// NewInvitation is an invitation to make: to a role of package role, or
// (Household) into a village, for Uses people (0 for no limit) until
// Expires. By is who makes it, 0 from the command line; a person may
// invite only to their area and below.
type NewInvitation struct {
	Role    string
	Area    string
	Uses    int
	Expires time.Time
	By      int64
	// Subject is the subject a Representative's invitation is to, or the
	// clan of a Member's; its area is the subject's.
	Subject int64
}

// Invitation is what an invitation link gave a person: a role over an
// area, or (Household) a household's place in a village.
type Invitation struct {
	ID   int64
	Role string
	Area Area
	// SubjectName names the subject a Representative's invitation made
	// the person represent, or the clan a Member's made their households
	// join; Joined names those households.
	SubjectName string
	Joined      []string
}

// Person is someone who gave consent; before consent hoctap keeps nothing
// about a person but the conversation state.
type Person struct {
	ID       int64
	Lang     string
	Consent  time.Time
	Inactive bool // blocked the bot
}

// Area is a place in the area tree: a province, a commune, a village.
type Area struct {
	Code   string
	Parent string
	Name   scoring.Text
	Level  string         // province, commune, village
	Region scoring.Region // normal or hardship
}

// FoundArea is an area a search found, with its parent's name to tell
// apart areas of one name in different places.
type FoundArea struct {
	Area
	ParentName scoring.Text
}

// Assessment is one subject's self-assessment against one set version.
// The self-assessment conversation keeps a copy of the one in progress in
// its state (the JSON names are short for that), so that a step reads
// PostgreSQL only when the copy is missing or a write finds it stale.
type Assessment struct {
	ID          int64           `json:"id"`
	SubjectID   int64           `json:"sj"`
	SubjectName string          `json:"n"`
	Kind        scoring.Kind    `json:"k"`
	AreaCode    string          `json:"ar"`
	Region      scoring.Region  `json:"rg"`
	SetID       string          `json:"s"`
	SetVersion  int             `json:"v"`
	Year        int             `json:"y"`
	Rev         int             `json:"r"`            // bumped by every change
	Cursor      string          `json:"cu,omitempty"` // the question being asked; "" for the summary screen
	Answers     scoring.Answers `json:"an,omitempty"`
	Photos      map[string]int  `json:"ph,omitempty"` // evidence photos per question
	Submitted   *time.Time      `json:"-"`
	Result      *scoring.Result `json:"-"` // when submitted
	// Assisted: a reviewer fills it in on behalf of a household with no
	// smartphone, with its head's consent; the subject has no
	// representative in the bot.
	Assisted bool `json:"as,omitempty"`
}

// Subject is what is assessed: a household, a clan, a village, a unit or
// a citizen, in an area. A person may represent several.
type Subject struct {
	ID       int64
	Kind     scoring.Kind
	Name     string
	AreaCode string
}

// NewAssessment is what enrolment collected: an existing subject, or what
// makes a new one.
type NewAssessment struct {
	PersonID int64
	// SubjectID is the subject to assess; 0 makes one of Kind, Name and
	// AreaCode, or takes the person's subject of that kind with that name
	// (in any case) in that area, so that a subject enrolled twice is one.
	SubjectID  int64
	Kind       scoring.Kind
	Name       string
	AreaCode   string
	Region     scoring.Region
	SetID      string
	SetVersion int
	Year       int
	Cursor     string
	Key        string // the input that started it
	// Assisted starts it on behalf of a household by a reviewer of its
	// area, who confirmed its head's consent; flows.ErrNotFound outside
	// their area.
	Assisted bool
}

// Change is one change to an assessment at the revision it was made for.
type Change struct {
	AssessmentID int64
	Rev          int // the revision the change was made for
	PersonID     int64
	Key          string // the input that made it
	Cursor       string // the question to ask next ("" for the summary screen)
	Code         string // the question answered, if any
	Answer       *scoring.Answer
}

// Evidence is one photo stored for a question.
type Evidence struct {
	AssessmentID int64
	PersonID     int64
	Code         string
	SHA256       string
	Size         int64
	MIME         string
	FileID       string // the channel's ids, to show it again without a copy
	UniqueID     string
	Key          string
}

// People is what every conversation needs to know of people: who a channel
// identity is, and their settings.
type People interface {
	// Person returns the person with a channel identity, or ErrNotFound.
	Person(ctx context.Context, channel string, user int64) (Person, error)
	// SetLanguage saves a person's language.
	SetLanguage(ctx context.Context, personID int64, lang string) error
	// SetInactive marks a person who blocked the bot, or unblocked it.
	SetInactive(ctx context.Context, personID int64, inactive bool) error
}

// Files fetches a photo from the channel.
type Files interface {
	Fetch(ctx context.Context, p Photo) (io.ReadCloser, error)
}

// Blobs stores evidence files by content.
type Blobs interface {
	// Put stores an image without its metadata and returns its SHA-256, size
	// and type; ErrNotImage / ErrTooLarge for what it refuses.
	Put(ctx context.Context, r io.Reader) (sha256 string, size int64, mime string, err error)
}

// Errors of Blobs.
var (
	ErrNotImage = errors.New("not a JPEG or PNG image")
	ErrTooLarge = errors.New("file too large")
)

// Review states of a submission. A submission waits until a reviewer
// accepts it, sends it back for changes (the assessment opens again, on
// the same set version, with every answer) or rejects it.
const (
	ReviewWaiting      = "waiting"
	ReviewAccepted     = "accepted"
	ReviewNeedsChanges = "needs_changes"
	ReviewRejected     = "rejected"
)

// Review is the review of one submission, kept apart from the assessment
// with a revision of its own.
type Review struct {
	AssessmentID int64
	State        string // one of the Review states
	Rev          int    // bumped by every decision, undo and resubmission
	WaitingSince time.Time
	Reviewer     int64 // who decided last; 0 while none has
	Reason       string
	DecidedAt    *time.Time
	// Resubmitted counts the submissions after a send-back; Before holds
	// the answers as they were when it was last sent back, to show what
	// changed.
	Resubmitted int
	Before      scoring.Answers
	// Returned counts the times a higher level sent the title it was
	// recognised with back; the last one's reason is Reason while it
	// waits again.
	Returned int
}

// Queued is a submission in a reviewer's queue.
type Queued struct {
	AssessmentID int64
	ReviewRev    int
	Kind         scoring.Kind
	SubjectName  string
	AreaName     scoring.Text
	WaitingSince time.Time
	Resubmitted  int
	Returned     int // times a higher level sent its recognised title back
}

// Waiting is what waits for a reviewer to decide, as their digest says it.
type Waiting struct {
	N      int       // submissions waiting
	Oldest time.Time // since when the oldest waits
	Late   int       // of them, those waiting longer than the digest's limit
}

// UnderReview is what a reviewer opens: the submission, its place and its
// review.
type UnderReview struct {
	Assessment
	Area   Area
	Review Review
	// MayDecide is whether the person may decide it, and not only see it.
	MayDecide bool
}

// Decision is a reviewer's decision at the review revision it was made for.
type Decision struct {
	AssessmentID int64
	Rev          int // the review's revision on the reviewer's screen
	Reviewer     int64
	State        string // accepted, needs_changes or rejected
	Reason       string // required for needs_changes and rejected
	At           time.Time
	// Result is the score with the reviewer's points, when the set has
	// indicators a reviewer scores: it replaces the one of the submission.
	Result *scoring.Result
}

// ReviewerPoints are a reviewer's points for an indicator the reviewer
// scores, on a submission waiting at the review's revision Rev.
type ReviewerPoints struct {
	AssessmentID int64
	Rev          int
	Reviewer     int64
	Code         string
	Points       float64
}

// EvidenceFiles are the channel ids of an assessment's photos, by question,
// oldest first, for a reviewer to see them again.
type EvidenceFiles map[string][]string

// Told is a decision on a submission as its representative is told it.
type Told struct {
	Kind        scoring.Kind
	SubjectName string
	State       string // the review's state now
	Rev         int    // the review's revision now: a notice of another is stale
	Reason      string
}

// Recognition chains: how a province recognises a title.
const (
	ChainAccept  = "accept"  // a reviewer's acceptance recognises at once (the default)
	ChainConfirm = "confirm" // a recogniser confirms accepted submissions under a decision
)

// Recognising is a recogniser's confirmation of a batch of accepted
// submissions under one decision.
type Recognising struct {
	AssessmentIDs []int64
	By            int64
	DecisionNo    string
	DecisionDate  time.Time
	At            time.Time
}

// Share is what a derived indicator is computed from: how many of a
// subject's member households hold the Learning Family title of the
// latest round (recognised in Year or the year before), of how many, for
// an assessment of Year.
type Share struct {
	Recognised int
	Households int
	Year       int
}

// Percent returns the share as a percentage with two decimals at most; 0
// for a subject with no member household.
func (s Share) Percent() float64 {
	if s.Households == 0 {
		return 0
	}
	return math.Round(float64(s.Recognised)*10000/float64(s.Households)) / 100
}

// Returning is a higher level sending a recognised title back, with its
// reason: the recognition ends and its submission waits for review again.
type Returning struct {
	RecognitionID int64
	By            int64
	Reason        string
	At            time.Time
}

// Recognised is a recognition as its certificate tells it.
type Recognised struct {
	ID           int64
	Kind         scoring.Kind
	SubjectName  string
	Places       []Area // the subject's area and those above it, up to the province
	Year         int
	DecisionNo   string
	DecisionDate *time.Time
	At           time.Time
	Ended        bool
	EndReason    string // why a higher level sent it back, if it did
}

// RoleHeld is a role a person holds, as listed for those who manage them.
// People are named by number only: hoctap keeps no names of people.
type RoleHeld struct {
	ID        int64
	Person    int64
	Role      string
	Area      string
	GrantedAt time.Time
}

// InvitationMade is an invitation as listed.
type InvitationMade struct {
	ID        int64
	Role      string
	Area      string
	Uses      int // 0 for no limit
	Used      int
	Expires   time.Time
	CreatedAt time.Time
	Revoked   bool
}

// Relocation is a subject whose area was split, as its representatives
// are asked to pick the area it belongs to now: the subject moves when one
// of them picks.
type Relocation struct {
	ID          int64
	Kind        scoring.Kind
	SubjectName string
	From        Area      // the area that was split
	Since       time.Time // the day it ended
	// Waiting is true while the subject is still in From; Candidates are
	// then the areas to pick from, by name.
	Waiting    bool
	Candidates []Area
	Now        Area // where the subject is now
	// Villages is true when From is a commune in force that got villages
	// after the subject enrolled at it: the candidates are its villages.
	Villages bool
}

// Season is a province's assessment season of a year: the days it opens
// and closes, both included, as dates (midnight UTC of the day).
type Season struct {
	Year   int
	Opens  time.Time
	Closes time.Time
}

// SeasonFits reports whether a season's days suit its year: it opens no
// later than it closes, lasts at most a year and holds days of the year,
// reaching at most a quarter into the years beside it (a 2027 season may
// open on 1 October 2026 and close on 31 March 2028, no earlier and no
// later), so that a year left at its default calendar season keeps most
// of its days.
func SeasonFits(s Season) bool {
	first := time.Date(s.Year, 1, 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(s.Year, 12, 31, 0, 0, 0, 0, time.UTC)
	earliest := time.Date(s.Year-1, 10, 1, 0, 0, 0, 0, time.UTC)
	latest := time.Date(s.Year+1, 3, 31, 0, 0, 0, 0, time.UTC)
	return !s.Closes.Before(s.Opens) && s.Closes.Before(s.Opens.AddDate(1, 0, 0)) &&
		!s.Opens.After(last) && !s.Closes.Before(first) && !s.Opens.Before(earliest) && !s.Closes.After(latest)
}

// Overlaps reports whether two seasons share a day.
func (s Season) Overlaps(o Season) bool { return !s.Opens.After(o.Closes) && !o.Opens.After(s.Closes) }

// Limits of a province's own reasons for sending back or rejecting.
const (
	MaxProvinceReasons = 10 // reasons in a province's list
	MinProvinceReason  = 3  // characters of one
	MaxProvinceReason  = 80 // characters of one: it is a button's label
)

// Reason is one of a province's own reasons for sending a submission back
// or rejecting it: a text the province typed, kept as typed, or the locale
// id of one of the default reasons it kept, which each person reads in
// their own language.
type Reason struct {
	ID   int64
	Text string
}

// ProvinceSettings is what a province has set, as /settings shows it to a
// person who may change some of it.
type ProvinceSettings struct {
	Province Area
	Chain    string // ChainAccept or ChainConfirm
	// Waiting counts the accepted submissions of the province that no
	// recognition holds yet: under ChainConfirm, those waiting for a
	// recogniser.
	Waiting int
	Seasons []Season // the seasons set, by year
	Reasons []Reason // the province's own, in the order added; none: the default list applies
	// MayChain is whether the person may change the chain (role.Administer
	// over the province); MaySettings whether they may set its seasons and
	// reasons (role.Settings).
	MayChain    bool
	MaySettings bool
}

// Audience is who a broadcast goes to: every person who agreed to use the
// bot and has not blocked it, or, of those, the holders of Role over Area
// or an area below it.
type Audience struct {
	Everyone bool
	Role     string // a role of package role, or Representative
	Area     string
}

// Broadcast states, as stored; a broadcast sending with nobody pending is
// done.
const (
	BroadcastSending   = "sending"
	BroadcastPaused    = "paused"
	BroadcastCancelled = "cancelled"
	BroadcastDone      = "done" // shown, never stored
)

// NewBroadcast is an announcement to queue.
type NewBroadcast struct {
	Audience
	By     int64  // the sender; 0 for the command line
	TextVI string // the text, Vietnamese and English (the same when one was given)
	TextEN string
	At     time.Time // when it goes out
	// Key names the draft it was made from (the bot's): queueing the same
	// draft again gives the broadcast queued the first time. "" for none.
	Key string
}

// BroadcastStatus is how a broadcast goes.
type BroadcastStatus struct {
	ID         int64
	By         int64
	Audience   Audience
	State      string // one of the states above, done included
	At         time.Time
	Recipients int
	Sent       int
	Pending    int
	Failed     int
}

// Reminders come as events named RemindEvent and what they are about.
const (
	RemindEvent = "remind."
	// RemindUnfinished is about a questionnaire started and left: Ref.ID
	// is the assessment, Ref.Rev the revision it was left at.
	RemindUnfinished = "unfinished"
	// RemindReview is a reviewer's digest of the day: what waits for
	// review in their scope (Ref names nothing: it is counted when shown).
	RemindReview = "review"
	// RemindRecognise is a recogniser's digest of the day: accepted
	// submissions waiting for them.
	RemindRecognise = "recognise"
	// RemindRegistered is about a subject registered for a year's title
	// and not assessed yet, its season closing: Ref.ID is the subject,
	// Ref.Rev the year.
	RemindRegistered = "registered"
	// RemindProgress is a leader's weekly digest of an area's figures:
	// Ref.ID is the digest, which names the area.
	RemindProgress = "progress"
	// RemindNudged is a leader's request that a reviewer follow up the
	// areas they cover that have not reported: Ref.ID is the nudge.
	RemindNudged = "nudged"
)

// DaysBeforeClose are the days before its season closes that a
// registration not assessed yet is reminded.
var DaysBeforeClose = []int{7, 1}

// The states a title's figures count, besides an assessment's
// (ReviewWaiting and the others): a subject enrolled in the registry,
// and one registered for the year.
const (
	StateEnrolled   = "enrolled"
	StateRegistered = "registered"
	StateOpen       = "open"       // a questionnaire in progress
	StateSubmitted  = "submitted"  // waiting for review
	StateRecognised = "recognised" // the title is recognised
)

// Goal is a programme target for a title: a share (per cent) of its
// entities by a year, confirmed or not.
type Goal struct {
	Year      int
	Share     float64
	Confirmed bool
}

// Figures are where one title stands in an area and a year.
type Figures struct {
	Kind scoring.Kind
	// Entities is what the share is of: the area's official count
	// (Official, of CountsYear), else the subjects enrolled in the
	// registry.
	Entities   int
	Official   bool
	CountsYear int
	// Counts are the subjects at or below the area in each state:
	// StateEnrolled, StateRegistered, and the assessment's state
	// (StateOpen, StateSubmitted, ReviewNeedsChanges, ReviewAccepted,
	// ReviewRejected, StateRecognised).
	Counts map[string]int
	// MonthStart is how many were recognised when the month began; -1
	// when that is not known.
	MonthStart int
	Goals      []Goal // the year's and later targets in force, by year
}

// Submitted counts the subjects that have submitted for the year, in
// whatever state the review left them.
func (f Figures) Submitted() int {
	return f.Counts[StateSubmitted] + f.Counts[ReviewNeedsChanges] + f.Counts[ReviewAccepted] +
		f.Counts[ReviewRejected] + f.Counts[StateRecognised]
}

// Share is the per cent of Entities recognised, 0 when there are none.
func (f Figures) Share() float64 {
	if f.Entities == 0 {
		return 0
	}
	return 100 * float64(f.Counts[StateRecognised]) / float64(f.Entities)
}

// Reported tells whether anything was registered or submitted.
func (f Figures) Reported() bool {
	return f.Counts[StateRegistered] > 0 || f.Counts[StateOpen] > 0 || f.Submitted() > 0
}

// AreaFigures are an area's figures of a year, one per title in
// scoring.Kinds order.
type AreaFigures struct {
	Area   Area
	Titles []Figures
}

// Reported tells whether anything was registered or submitted for any
// title.
func (a AreaFigures) Reported() bool {
	for _, f := range a.Titles {
		if f.Reported() {
			return true
		}
	}
	return false
}

// Progress is where an area stands in a year, and each of its child
// areas in force, by name.
type Progress struct {
	AreaFigures
	Year     int
	Children []AreaFigures
	Up       *Area // the area above, when the person asking may see it too
	Digest   bool  // the person asking gets the area's weekly digest
}

// Miss is how often one indicator of a criteria set was missed in the
// assessments submitted in an area in a year: Assessed counts those that
// answered it and to which it applied, Missed those of them that scored
// below half its points (a "no" to a yes/no question scores nothing).
type Miss struct {
	Kind     scoring.Kind
	SetID    string
	Code     string
	Assessed int
	Missed   int
}

// Share is the per cent of Assessed that missed it.
func (m Miss) Share() float64 {
	if m.Assessed == 0 {
		return 0
	}
	return 100 * float64(m.Missed) / float64(m.Assessed)
}

// Misses are an area's indicators of a year, the most often missed first
// (of each title in scoring.Kinds order), as counted at Built; Built is
// zero when they were never counted.
type Misses struct {
	Area  Area
	Built time.Time
	List  []Miss
}

// Nudge is what a leader asked a reviewer to follow up: the child areas
// of From with nothing registered or submitted for Year when the leader
// tapped, those the reviewer covers.
type Nudge struct {
	From  Area
	Year  int
	Quiet []Area
}

// Nudged is what a tap on "remind their reviewers" did: Reviewers were
// told of Quiet areas, Without had no reviewer to tell; Earlier, when
// not zero, is the tap of the same day that told them already (and
// nothing was sent again).
type Nudged struct {
	Quiet     int
	Reviewers int
	Without   []Area
	Earlier   time.Time
}

// InScope is one assessment of the year at or below an area, as a
// leader's workbook lists it: State is StateOpen, StateSubmitted,
// ReviewNeedsChanges, ReviewAccepted, ReviewRejected or StateRecognised;
// an open one has no total, result or submission time yet.
type InScope struct {
	ID        int64
	Kind      scoring.Kind
	Subject   string // the subject's name
	Area      Area   // the subject's village or unit area
	State     string
	Total     *float64
	Passed    *bool
	Submitted *time.Time
}

// MaxInScope is how many assessments a workbook lists: a commune's fit,
// a province's do not (its communes' workbooks list them).
const MaxInScope = 20000

// Workbook is what a leader's workbook of an area and a year holds, read
// in one snapshot: the figures, every indicator missed at least once, and
// the assessments in scope, at most MaxInScope of them (by area, then as
// started).
type Workbook struct {
	Progress
	Misses  Misses
	InScope []InScope
}

// Assessed is how many assessments of the year the area's figures count:
// those in progress and those sent. The workbook lists all of them when
// they are at most MaxInScope.
func (a AreaFigures) Assessed() int {
	n := 0
	for _, f := range a.Titles {
		n += f.Counts[StateOpen] + f.Submitted()
	}
	return n
}

// SortMisses orders misses by title, in scoring.Kinds order, then the
// most often missed first.
func SortMisses(list []Miss) {
	slices.SortStableFunc(list, func(a, b Miss) int {
		return cmp.Or(cmp.Compare(slices.Index(scoring.Kinds, a.Kind), slices.Index(scoring.Kinds, b.Kind)),
			cmp.Compare(b.Missed, a.Missed), cmp.Compare(a.SetID, b.SetID), cmp.Compare(a.Code, b.Code))
	})
}

// Vietnam is the programme's time zone (UTC+7, without daylight saving
// since 1975): days, months and years are counted there.
var Vietnam = time.FixedZone("ICT", 7*3600)
