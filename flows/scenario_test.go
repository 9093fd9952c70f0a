package flows_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/flows/flowstest"
	"hoctap/flows/relocate"
	"hoctap/flows/review"
	"hoctap/role"
	"hoctap/scoring"
)

// labels are the button labels a person reads, by language.
var labels = map[string]map[string]string{
	"vi": {
		"agree": "✅ Đồng ý", "family": "Gia đình học tập", "clan": "Dòng họ học tập", "community": "Cộng đồng học tập (thôn, tổ dân phố)", "province": "Thành phố Hà Nội",
		"commune": "Xã Sóc Sơn", "village": "Thôn Đông", "yes": "Có", "no": "Không", "na": "Không áp dụng", "done": "✅ Xong",
		"no_photo": "⏭ Không có ảnh", "some": "Có, ở một số việc · 5 điểm", "internet": "Điện thoại thông minh hoặc máy tính có internet · 6 điểm",
		"later": "⏭ Để sau", "back": "◀ Quay lại", "submit": "📤 Nộp bản tự đánh giá", "info": "ℹ️ Hướng dẫn",
		"continue": "▶ Tiếp tục", "restart": "🗑 Làm lại từ đầu", "discard": "🗑 Bỏ và làm lại", "confirm": "✅ Nộp",
		"answer": "➡ Trả lời câu %s", "add_photos": "📷 Gửi ảnh câu %s",
		"other": "📋 Tự đánh giá khác", "menu": "◀ Về danh sách", "new_community": "➕ Thôn, tổ dân phố khác",
		"continue_family": "▶ Gia đình học tập: %s", "continue_community": "▶ Cộng đồng học tập (thôn, tổ dân phố): %s",
		"subject": "%s — Thôn Đông", "summary": "📋 Xem lại", "edit": "✏️ %s",
		"nobody": "Đúng — không ai vi phạm", "no_vice_no": "Chưa đúng — có tệ nạn",
	},
	"en": {
		"agree": "✅ I agree", "family": "Learning Family", "clan": "Learning Clan", "community": "Learning Community (village, residential group)", "province": "Hà Nội",
		"commune": "Sóc Sơn commune", "village": "Đông village", "yes": "Yes", "no": "No", "na": "Not applicable", "done": "✅ Done",
		"no_photo": "⏭ No photo", "some": "Yes, in some things · 5 points", "internet": "A smartphone or a computer with internet · 6 points",
		"later": "⏭ Later", "back": "◀ Back", "submit": "📤 Submit the self-assessment", "info": "ℹ️ Guidance",
		"continue": "▶ Continue", "restart": "🗑 Start over", "discard": "🗑 Discard and start over", "confirm": "✅ Submit",
		"answer": "➡ Answer %s", "add_photos": "📷 Send photos for %s",
		"other": "📋 Another self-assessment", "menu": "◀ Back to the list", "new_community": "➕ Another village or group",
		"continue_family": "▶ Learning Family: %s", "continue_community": "▶ Learning Community (village, residential group): %s",
		"subject": "%s — Đông village", "summary": "📋 Review", "edit": "✏️ %s",
		"nobody": "True — nobody does", "no_vice_no": "Not true — some were reported",
	},
}

// l is the label of a button in the harness's language.
func (h *harness) l(name string) string {
	h.t.Helper()
	label, ok := labels[h.lang][name]
	if !ok {
		h.t.Fatalf("no label %q", name)
	}
	return label
}

// lf is the label of a button that names a question.
func (h *harness) lf(name, code string) string {
	return fmt.Sprintf(h.l(name), code)
}

// enrol takes a person through consent and enrolment to the first question
// of a title (a label name of labels).
func (h *harness) enrol(title, name string) {
	h.t.Helper()
	h.command("start")
	h.press(h.l("agree"))
	h.press(h.l(title))
	if title != "community" { // a village is named after its place, chosen first
		h.text(name)
	}
	h.press(h.l("province"))
	h.press(h.l("commune"))
	if title != "clan" {
		h.press(h.l("village"))
	}
}

// walkFamily walks the Learning Family questionnaire to a submission, with
// the detours people take: a wrong input, a photo left for later and sent
// from the review, an album, a photo sent with its question on screen, a
// question left for later, a guidance look-up and a back step.
func walkFamily(h *harness) {
	t := h.t
	h.enrol("family", "<Nguyễn & Con>")
	h.press(h.l("info")) // 1.1's guidance
	h.press(h.l("yes"))  // 1.1: evidence required, no Done until it arrives
	h.text("xin chào")
	h.press(h.l("later")) // the photo is left for later
	h.press(h.l("no"))    // 1.2: no "not applicable" once 1.1 says there are children
	h.press(h.l("yes"))   // 1.3
	h.press(h.l("back"))
	h.press(h.l("yes")) // 1.3 again
	h.press(h.l("yes")) // 2.1
	h.press(h.l("yes")) // 2.2: optional evidence
	h.press(h.l("no_photo"))
	h.press(h.l("some")) // 2.3
	h.sticker()          // wrong kind of input
	h.press(h.l("yes"))  // 3.1: evidence required, sent as an album
	h.photo("corner-1.jpg", picture(t, 2), "album-1")
	h.photo("corner-2.jpg", picture(t, 3), "album-1")
	h.quiet()
	h.press(h.l("done"))
	h.press(h.l("internet")) // 3.2
	h.press(h.l("later"))    // 3.3 left for later
	h.press(h.l("yes"))      // 4.1
	// 4.2 on screen: its photo is sent before the answer, and attaches.
	if out := h.photo("certificate.jpg", picture(t, 4), ""); !strings.Contains(last(out), "<b>4.2</b>") {
		t.Errorf("a photo sent with 4.2 on screen: %q", last(out))
	}
	h.press(h.l("yes")) // 4.2: its photo arrived already
	h.press(h.l("done"))
	out := h.press(h.l("nobody")) // 4.3, labelled: the review, with no Submit while 3.3 and 1.1's photo are missing
	if r := last(out); strings.Contains(r, h.l("submit")) || !strings.Contains(r, "3.3") {
		t.Errorf("review with something missing: %q", r)
	}
	h.press(h.lf("answer", "3.3"))
	h.press(h.l("yes"))                // 3.3: back to the review
	h.press(h.lf("add_photos", "1.1")) // 1.1's photo step
	h.photo("report-card.jpg", picture(t, 1), "")
	h.press(h.l("done")) // the review, complete
	h.press(h.l("submit"))
	out = h.press(h.l("confirm"))
	if len(out) != 2 || len(out[0].Buttons) != 0 || !out[0].Replace {
		t.Errorf("after Submit the review keeps its buttons: %+v", out)
	}

	got := h.store.Submitted()
	if len(got) != 1 {
		t.Fatalf("%d submitted assessments, want 1", len(got))
	}
	if a := got[0]; a.SubjectName != "<Nguyễn & Con>" || a.Kind != "family" || a.AreaCode != area.SampleCommune+".01" ||
		a.SetID != "family-2015" || a.SetVersion != 2 || a.Result.Total != 85 || !a.Result.Passed {
		t.Errorf("submitted %+v with %+v", a, a.Result)
	}
	if a := got[0]; a.Photos["1.1"] != 1 || a.Photos["3.1"] != 2 || a.Photos["4.2"] != 1 {
		t.Errorf("photos %v", a.Photos)
	}
}

// albums sends an album of three where no photo is asked — consent, the
// name, a question with no evidence and the review — and one where a
// question with evidence is on screen: each gets one answer.
func albums(h *harness) {
	t := h.t
	// album sends three photos and returns what the person sees: what was
	// sent at once and what was held until the quiet time.
	album := func(id string) []flows.Output {
		var seen []flows.Output
		for i := range 3 {
			for _, o := range h.photo("album.jpg", picture(t, 20+i), id) {
				if !o.Settle {
					seen = append(seen, o)
				}
			}
		}
		seen = append(seen, h.held...)
		h.quiet()
		return seen
	}
	once := func(where string, out []flows.Output) {
		t.Helper()
		if len(out) != 1 {
			t.Errorf("an album at %s answered %d times: %+v", where, len(out), out)
		}
	}
	h.command("start")
	once("consent", album("a1"))
	h.press(h.l("agree"))
	h.press(h.l("family"))
	once("the name", album("a2"))
	h.text("Nhà Lê")
	h.press(h.l("province"))
	h.press(h.l("commune"))
	h.press(h.l("village"))
	once("question 1.1", album("a3")) // 1.1 has evidence: the album attaches
	h.press(h.l("no"))                // 1.1
	h.press(h.l("no"))                // 1.2
	once("question 1.3", album("a4")) // 1.3 has none
	for range 9 {
		h.press(h.l("later"))
	}
	once("the review", album("a5"))
	if got := h.open().Photos; got["1.1"] != 3 || len(got) != 1 {
		t.Errorf("photos stored %v, want the 3 of 1.1's album", got)
	}
}

// communityOn walks the Learning Community questionnaire to the review,
// with answers scoring 80 of the 90 self-assessed points; c1 answers the
// condition. Four of the village's five households are Learning Families
// this year, so 1.1, computed, is 80 %: 20 points.
func communityOn(h *harness, c1 string) {
	t := h.t
	h.store.AddFamilies(area.SampleCommune+".01", h.sh.now.Year(), 4, 5)
	h.enrol("community", "Thôn Đông")
	h.text("99")        // 1.2: 10
	if h.lang == "vi" { // 1.3 counts sessions, typed with the unit: 10 points
		h.text("12 buổi")
	} else {
		h.text("12 sessions")
	}
	h.press(h.l("yes")) // 2.1: 10
	h.press(h.l("yes")) // 2.2: 10
	h.photo("rules.jpg", picture(t, 6), "")
	h.press(h.l("done"))
	h.press(h.l("yes")) // 2.3: 10
	h.photo("books.jpg", picture(t, 7), "")
	h.press(h.l("done"))
	h.press(h.l("yes")) // 3.1: 10
	h.press(h.l("no_photo"))
	h.press(h.l("no_vice_no")) // 3.2, labelled: 0
	h.press(h.l(c1))           // C1
	h.press(h.l("submit"))
}

// scenarios are the golden// scenarios are the golden conversations: each writes testdata/NAME.golden,
// the transcript with the stored effects of every step, and checks what a
// person would notice.
var scenarios = []scenario{
	{"walk_family_vi", "vi", walkFamily},
	{"walk_family_en", "en", walkFamily},
	{"albums_vi", "vi", albums},
	{"albums_en", "en", albums},

	// A community with 80 points that did not register for the title: the
	// result names the condition, and says the reviewer's points are still
	// to come.
	{"community_condition", "vi", func(h *harness) {
		communityOn(h, "no")
		out := h.press(h.l("confirm"))
		r := last(out)
		if !strings.HasPrefix(r, "✅ Đã nộp") || !strings.Contains(r, "Chưa đáp ứng điều kiện C1: Thôn, tổ dân phố đã đăng ký") ||
			strings.Contains(r, "điểm đạt") || !strings.Contains(r, "người thẩm định còn chấm 3.3 (tối đa 10 điểm)") {
			h.t.Errorf("result: %q", r)
		}
	}},
	{"community_pending", "en", func(h *harness) {
		communityOn(h, "yes")
		out := h.press(h.l("confirm"))
		r := last(out)
		if !strings.HasPrefix(r, "✅ Submitted") || !strings.Contains(r, "Provisional result: every self-assessed part passes.") ||
			!strings.Contains(r, "the reviewer still scores 3.3") {
			h.t.Errorf("result: %q", r)
		}
	}},

	// A village's share of Learning Families is computed, not asked: the
	// review says what it was computed from and follows the recognitions
	// as they are recorded, keeping the share it shows, which is what a
	// submission from it is scored with.
	{"derived_share", "vi", func(h *harness) {
		village := area.SampleCommune + ".01"
		h.enrol("community", "Thôn Đông")
		h.text("99") // 1.2: the first question
		out := h.press(h.l("summary"))
		if r := last(out); !strings.Contains(r, "<b>1.1</b> Tỷ lệ hộ trong thôn, tổ…: <b>0 %</b> · 0 điểm\n   <i>tính từ công nhận: thôn chưa có hộ nào trong hoctap</i>") {
			h.t.Errorf("a village with no household: %q", r)
		}
		h.store.AddFamilies(village, h.sh.now.Year()-1, 2, 3)
		h.note("3 households in Thôn Đông, 2 of them recognised last year")
		h.press(fmt.Sprintf(h.l("edit"), "1.2"))
		out = h.press(h.l("summary"))
		if r := last(out); !strings.Contains(r, "<b>66,67 %</b> · 15 điểm\n   <i>tính từ công nhận: 2 trên 3 hộ của thôn có trong hoctap được công nhận “Gia đình học tập” năm 2025 hoặc 2026</i>") {
			h.t.Errorf("two of three recognised last year: %q", r)
		}
		if got := h.answers()["1.1"]; got != scoring.Value(66.67) {
			h.t.Errorf("the share kept is %v, not the one shown", got)
		}
	}},

	// A person stops midway and comes back ten days later, to a new
	// replica of the bot: /start offers the assessment where it was.
	{"resume_after_days", "vi", func(h *harness) {
		h.enrol("family", "Nhà Lê")
		h.press(h.l("no")) // 1.1
		h.press(h.l("no")) // 1.2
		h.later(10 * 24 * time.Hour)
		h.restart()
		out := h.command("start")
		if !strings.Contains(last(out), "(đã trả lời 2/12 câu)") {
			h.t.Errorf("after ten days: %q", last(out))
		}
		out = h.press(h.l("continue"))
		if !strings.Contains(last(out), "<b>1.3</b>") {
			h.t.Errorf("continued at %q, want question 1.3", last(out))
		}
	}},

	// Redis lost the conversation midway: the answers are in PostgreSQL,
	// and what the person types next is not taken for an answer.
	{"redis_lost", "vi", func(h *harness) {
		h.enrol("community", "Thôn Đông")
		h.text("95") // 1.2
		h.loseState()
		out := h.text("12")
		if !strings.Contains(last(out), "Bạn đang làm dở bản tự đánh giá") || !strings.Contains(last(out), "(đã trả lời 1/") {
			h.t.Fatalf("after the state was lost: %q", last(out))
		}
		out = h.press(h.l("continue"))
		if !strings.Contains(last(out), "<b>1.3</b>") {
			h.t.Errorf("continued at %q, want question 1.3", last(out))
		}
		if a := h.answers(); len(a) != 1 || a["1.2"] != scoring.Value(95) {
			h.t.Errorf("answers %v", a)
		}
	}},

	// The province withdraws family-2015@2 for a version 3 without 1.2: the
	// person is offered the move and keeps the answers that carry over.
	{"withdrawn_set", "vi", func(h *harness) {
		h.enrol("family", "Nhà Lê")
		h.press(h.l("no")) // 1.1
		h.press(h.l("no")) // 1.2
		h.withSets(withdrawnFamily(h.t))
		h.note("family-2015@2 is withdrawn for family-2015@3")
		out := h.text("?")
		if !strings.Contains(last(out), "family-2015@2") || !strings.Contains(last(out), "Giữ lại được 1/2 câu trả lời") {
			h.t.Fatalf("no offer to move: %q", last(out))
		}
		out = h.press("Chuyển sang bộ mới")
		if !strings.Contains(last(out), "Đã chuyển sang bộ family-2015@3") || !strings.Contains(last(out), "<b>1.9</b>") {
			h.t.Errorf("after the move: %q", last(out))
		}
		if a := h.answers(); len(a) != 1 || a["1.1"] != scoring.No() {
			h.t.Errorf("answers after the move: %v", a)
		}
	}},

	// A clan: a choice, evidence, a condition not met and an indicator the
	// reviewer scores; its 1.1 is computed over its member households.
	{"clan_conditions", "en", func(h *harness) {
		h.enrol("clan", "Nguyễn Đình clan")
		h.press(h.l("yes"))      // 1.2
		h.press(h.l("yes"))      // 1.3: optional evidence
		h.press(h.l("no_photo")) //
		h.press(h.l("yes"))      // 2.1
		h.press("A fund raised every year · 10 points")
		h.press(h.l("yes")) // 2.3: required evidence
		h.photo("rules.jpg", picture(h.t, 5), "")
		h.press(h.l("done"))
		h.press(h.l("yes"))       // 3.1: optional evidence
		h.press(h.l("no_photo"))  //
		h.press(h.l("nobody"))    // 3.2, labelled
		out := h.press(h.l("no")) // C1, a condition
		if !strings.Contains(last(out), "Condition C1 is not met: ") || !strings.Contains(last(out), "3.3</b> The reviewer's overall assessment.: <i>scored by the reviewer</i>") {
			h.t.Errorf("summary: %q", last(out))
		}
		h.press(h.l("submit"))
		out = h.press(h.l("confirm"))
		if !strings.HasPrefix(last(out), "✅ Submitted") || !strings.Contains(last(out), "Not final yet: the reviewer still scores 3.3") {
			h.t.Errorf("result: %q", last(out))
		}
	}},

	// A clan's member households join by the clan's link: a person with no
	// household yet is told to start one first, and the link, opened
	// again, then puts the household on the clan's list; the clan's 1.1
	// is computed over them.
	{"clan_members", "vi", func(h *harness) {
		h.enrol("clan", "Họ Nguyễn Đình")
		h.press(h.l("yes")) // 1.2
		out := h.press(h.l("summary"))
		if r := last(out); !strings.Contains(r, "<b>0 %</b> · 0 điểm\n   <i>tính từ công nhận: dòng họ chưa có hộ thành viên nào trong hoctap") {
			h.t.Errorf("a clan with no member: %q", r)
		}
		out = h.press("🏘 Mời các hộ trong dòng họ")
		link := regexp.MustCompile(`/start (\S+)`).FindStringSubmatch(out[0].Text)
		if link == nil {
			h.t.Fatalf("the link %+v", out)
		}
		cousin := h.other(7373, "vi", "cousin")
		cousin.command("start")
		cousin.press(h.l("agree"))
		out = cousin.send(flows.Input{Kind: flows.InputCommand, Command: "start", Text: link[1]}, "/start "+link[1])
		if r := last(out); !strings.HasPrefix(r, "Đường liên kết này để hộ của bạn vào danh sách hộ của một dòng họ.") {
			h.t.Errorf("no household yet: %q", r)
		}
		cousin.enrol("family", "Nhà Nguyễn Văn")
		out = cousin.send(flows.Input{Kind: flows.InputCommand, Command: "start", Text: link[1]}, "/start "+link[1])
		if r := last(out); !strings.HasPrefix(r, "✅ <b>Nhà Nguyễn Văn</b> đã vào danh sách hộ thành viên của dòng họ <b>Họ Nguyễn Đình</b>.") {
			h.t.Errorf("joined: %q", r)
		}
		h.press(fmt.Sprintf(h.l("edit"), "1.2"))
		out = h.press(h.l("summary"))
		if r := last(out); !strings.Contains(r, "tính từ công nhận: chưa hộ nào trong 1 hộ của dòng họ có trong hoctap được công nhận") {
			h.t.Errorf("one member, not recognised: %q", r)
		}
	}},

	// The person starts over and begins a new assessment; a button of the
	// abandoned one, at the same question and revision as the new one's,
	// changes nothing.
	{"abandoned_assessment_button", "vi", func(h *harness) {
		h.enrol("family", "Nhà Lê")
		old := h.open()
		h.command("start")
		h.press(h.l("restart"))
		h.press(h.l("family"))
		h.press(h.lf("subject", "Nhà Lê")) // the household, assessed anew
		now := h.open()
		if now.ID == old.ID || now.Rev != old.Rev {
			h.t.Fatalf("the new assessment is %d at revision %d, the old %d at %d: the case needs the same revision", now.ID, now.Rev, old.ID, old.Rev)
		}
		out := h.pressOld(h.l("na"), 1) // 1.1 of the abandoned assessment
		if notice(out) != "Nút này đã cũ, không còn dùng được." || !strings.Contains(last(out), "<b>1.1</b>") || !out[len(out)-1].Replace {
			h.t.Errorf("a button of the abandoned assessment answered %+v", out)
		}
		if a := h.answers(); len(a) != 0 {
			h.t.Errorf("the new assessment has answers %v", a)
		}
	}},

	// A household with no school-age child answers 1.1 "not applicable":
	// 1.2 and 1.3 are not asked and score as not applicable; once 1.1 says
	// there are children, they are asked, without "not applicable".
	{"inapplicable_skipped", "en", func(h *harness) {
		h.enrol("family", "Nhà Lê")
		out := h.press(h.l("na")) // 1.1
		if r := last(out); !strings.Contains(r, "Question 2/10") || !strings.Contains(r, "<b>2.1</b>") {
			h.t.Errorf("after 1.1 not applicable: %q", r)
		}
		out = h.press(h.l("summary"))
		if r := last(out); !strings.Contains(r, "<b>1.2</b> Children's results: <i>not asked (an earlier answer says it does not apply)</i>") {
			h.t.Errorf("review: %q", r)
		}
		h.press(h.lf("edit", "1.1"))
		out = h.press(h.l("no")) // 1.1: not every child attends school
		if r := last(out); !strings.Contains(r, "Question 2/12") || !strings.Contains(r, "<b>1.2</b>") {
			h.t.Errorf("after 1.1 no: %q", r)
		}
		for _, row := range out[len(out)-1].Buttons {
			for _, b := range row {
				if b.Label == h.l("na") {
					h.t.Errorf("1.2 offers %q once 1.1 says there are children", b.Label)
				}
			}
		}
	}},

	// A village head who is also a head of household keeps both going:
	// the menu offers each one in progress, and /status lists them.
	{"two_subjects", "en", func(h *harness) {
		h.enrol("family", "Nhà Lê")
		h.press(h.l("no")) // 1.1
		h.command("start")
		h.press(h.l("other"))
		out := h.press(h.l("community")) // the place first: a village is named after it
		if r := last(out); !strings.Contains(r, "Thôn, tổ dân phố tự đánh giá ở tỉnh") && !strings.Contains(r, "In which province is the village") {
			h.t.Errorf("the community title asks first %q", r)
		}
		h.press(h.l("province"))
		h.press(h.l("commune"))
		h.press(h.l("village"))
		h.text("85") // 1.1
		h.command("start")
		h.press(h.l("other"))
		out = h.press(h.lf("continue_family", "Nhà Lê"))
		if !strings.Contains(last(out), "<b>1.2</b>") {
			h.t.Errorf("the family continued at %q", last(out))
		}
		// The last changed first: continuing changed nothing yet.
		if open := h.inProgress(); len(open) != 2 || open[0].Kind != scoring.KindCommunity || open[1].Kind != scoring.KindFamily {
			h.t.Errorf("in progress: %+v", open)
		}
		out = h.command("status")
		if r := last(out); !strings.Contains(r, "<b>Learning Family</b> — Nhà Lê, 2026: in progress, 1/12 questions answered") ||
			!strings.Contains(r, "— Thôn Đông, 2026: in progress, 1/") {
			h.t.Errorf("status: %q", r)
		}
		h.press(h.l("no")) // 1.2, on the screen before /status
		if a := h.answers(); len(a) != 2 {
			h.t.Errorf("the family's answers after /status: %v", a)
		}
	}},

	// A village submitted once cannot be submitted again that year,
	// whether chosen from the person's subjects or chosen again as new.
	{"second_submission_refused", "vi", func(h *harness) {
		communityOn(h, "yes")
		h.press(h.l("confirm"))
		h.command("start")
		h.press(h.l("community"))
		out := h.press("Thôn Đông") // its place has its name
		if r := last(out); !strings.Contains(r, "nên không làm bản thứ hai được") || !strings.Contains(r, "Câu trả lời của bạn:") {
			h.t.Errorf("the village chosen again: %q", r)
		}
		h.press(h.l("menu"))
		h.press(h.l("community"))
		h.press(h.l("new_community"))
		h.press(h.l("province"))
		h.press(h.l("commune"))
		out = h.press(h.l("village"))
		if r := last(out); !strings.Contains(r, "nên không làm bản thứ hai được") {
			h.t.Errorf("the village chosen again as new: %q", r)
		}
		if n := len(h.store.Submitted()); n != 1 {
			h.t.Errorf("%d submitted", n)
		}
		out = h.command("status")
		if r := last(out); !strings.Contains(r, "Thôn Đông, năm 2026: nộp ngày") {
			h.t.Errorf("status: %q", r)
		}
	}},

	// Starting over an assessment with answers asks first and says what
	// would be lost; Continue keeps everything, the discard throws it away.
	{"start_over_confirmed", "vi", func(h *harness) {
		h.enrol("family", "Nhà Lê")
		h.press(h.l("no")) // 1.1
		h.press(h.l("no")) // 1.2
		h.command("start")
		out := h.press(h.l("restart"))
		if !strings.Contains(last(out), "2 câu trả lời và 0 ảnh sẽ bị xoá") {
			h.t.Errorf("Start over asked %q", last(out))
		}
		h.press(h.l("continue"))
		if a := h.answers(); len(a) != 2 {
			h.t.Errorf("answers after Continue: %v", a)
		}
		h.command("start")
		h.press(h.l("restart"))
		h.press(h.l("discard"))
		if open := h.inProgress(); len(open) != 0 {
			h.t.Errorf("after the discard, in progress: %+v", open)
		}
	}},

	// A Start over from an older resume offer, after the person went on:
	// nothing is thrown away.
	{"old_start_over", "vi", func(h *harness) {
		h.enrol("family", "Nhà Lê")
		h.press(h.l("no")) // 1.1
		h.command("start")
		h.press(h.l("continue"))
		h.press(h.l("no")) // 1.2
		out := h.pressOld(h.l("restart"), 0)
		if notice(out) != "Nút này đã cũ, không còn dùng được." || !strings.Contains(last(out), "<b>1.3</b>") {
			h.t.Errorf("an old Start over answered %+v", out)
		}
		if a := h.answers(); len(a) != 2 {
			h.t.Errorf("answers after an old Start over: %v", a)
		}
	}},

	// A person types part of a place's name at the area step, accents
	// left out: what it finds is offered with the place around it. Nothing
	// found, too long a text and mere punctuation each get one reply and
	// the screen again; a button of an earlier search is stale.
	{"area_search", "vi", func(h *harness) {
		h.command("start")
		h.press(h.l("agree"))
		h.press(h.l("family"))
		h.text("Nhà Lê")
		out := h.text("thon d")
		if got := shown(out); !slices.Equal(got, []string{"Thôn Đoài · Xã Sóc Sơn", "Thôn Đông · Xã Sóc Sơn", "◀ Quay lại"}) {
			h.t.Errorf("found %q", got)
		}
		out = h.text("xyz")
		if r := last(out); len(out) != 1 || !strings.HasPrefix(r, "Không tìm thấy nơi nào có tên khớp với “xyz”") ||
			!strings.Contains(r, "ở tỉnh, thành phố nào?") {
			h.t.Errorf("nothing found: %+v", out)
		}
		if out = h.text(strings.Repeat("thôn ", 13)); len(out) != 1 || !strings.HasPrefix(last(out), "Tên cần tìm dài quá") {
			h.t.Errorf("a long text: %+v", out)
		}
		if out = h.text("!!!"); len(out) != 1 || !strings.HasPrefix(last(out), "Hãy gõ vài chữ") {
			h.t.Errorf("punctuation: %+v", out)
		}
		h.press(h.l("province")) // a search below Hà Nội finds only its villages
		out = h.text("THÔN")
		if got := shown(out); !slices.Equal(got, []string{"Thôn Đoài · Xã Sóc Sơn", "Thôn Đông · Xã Sóc Sơn", "◀ Quay lại"}) {
			h.t.Errorf("found below Hà Nội %q", got)
		}
		out = h.press("Thôn Đông · Xã Sóc Sơn")
		if r := last(out); !strings.Contains(r, "Câu 1/12") {
			h.t.Errorf("after choosing what was found: %q", r)
		}
		if a := h.open(); a.AreaCode != area.SampleCommune+".01" {
			h.t.Errorf("placed in %s", a.AreaCode)
		}
		if out = h.pressOld("Thôn Đoài · Xã Sóc Sơn", 0); notice(out) != "Nút này đã cũ, không còn dùng được." {
			h.t.Errorf("an earlier search's button: %+v", out)
		}
	}},

	// The review cycle: a household submits; a reviewer of its commune
	// opens it from /review, sees its photos again and sends it back with a
	// typed reason; the household changes one answer and submits again;
	// the reviewer sees it marked as changed, accepts, undoes and accepts
	// again. A person with no role and a forged button get nowhere.
	{"review_cycle", "vi", func(h *harness) {
		walkFamily(h)
		rv := h.other(5151, "vi", "reviewer")
		rv.command("start")
		rv.press("✅ Đồng ý")
		reviewer, err := h.store.Person(h.ctx, "test", 5151)
		if err != nil {
			h.t.Fatal(err)
		}
		if out := h.command("review"); !strings.Contains(last(out), "chưa có vai trò thẩm định") {
			h.t.Errorf("/review of a household: %q", last(out))
		}
		h.store.GrantRole(h.ctx, reviewer.ID, role.Reviewer, area.SampleCommune, 0)
		h.store.Effects()
		out := rv.command("review")
		if got := shown(out); len(got) != 3 || !strings.HasPrefix(got[0], "<Nguyễn & Con> — Thôn Đông") || got[1] != "📝 Nhập hộ cho hộ không có điện thoại" {
			h.t.Errorf("the queue %q", got)
		}
		out = rv.press(shown(out)[0])
		if len(out) != 4 || len(out[0].Photos) != 1 || len(out[1].Photos) != 2 || len(out[2].Photos) != 1 {
			h.t.Errorf("the photos of 1.1, 3.1 and 4.2, then the card: %+v", out)
		}
		if got := shown(out); !slices.Equal(got[:3], []string{"✅ Chấp nhận", "↩️ Trả lại để sửa", "❌ Không đạt"}) {
			h.t.Errorf("the decisions %q", got)
		}
		rv.press("↩️ Trả lại để sửa")
		rv.text("x")                             // too short a reason
		rv.text("Ảnh 1.1 chưa rõ, xin chụp lại") // the reason
		if a := h.open(); a.Submitted != nil {
			h.t.Error("the assessment sent back is not open")
		}
		// The household is told once the undo window has passed, with the
		// reason, as an event in its conversation.
		decided := func() flows.Input {
			u, err := h.store.ForReview(h.ctx, reviewer.ID, 1)
			if err != nil {
				h.t.Fatal(err)
			}
			return flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: review.EventDecided, ID: 1, Rev: u.Review.Rev}}
		}
		h.later(11 * time.Minute)
		sentBack := decided()
		if out := h.send(sentBack, "(event) decided"); len(out) != 1 || !strings.Contains(out[0].Text, "Lý do: Ảnh 1.1 chưa rõ, xin chụp lại") {
			h.t.Errorf("the household is told %+v", out)
		}

		h.command("start")
		h.press(h.lf("continue_family", "<Nguyễn & Con>"))
		h.press(h.lf("edit", "1.2"))
		h.press(h.l("yes")) // 1.2 changed: it asks for its photo
		h.photo("result.jpg", picture(h.t, 9), "")
		h.press(h.l("done"))
		h.press(h.l("submit"))
		h.press(h.l("confirm"))

		out = rv.command("review")
		item := shown(out)[0]
		if !strings.HasSuffix(item, "✏️") {
			h.t.Errorf("the resubmission is not marked: %q", item)
		}
		out = rv.press(item)
		if r := last(out); !strings.Contains(r, "Nộp lại lần 1") || !strings.Contains(r, "✏️ đã sửa") {
			h.t.Errorf("the resubmission's card: %q", r)
		}
		rv.press("✅ Chấp nhận")
		undone := decided()
		rv.press("↶ Hoàn tác (trong 10 phút)")
		rv.press("✅ Chấp nhận")
		h.later(11 * time.Minute)
		if out := h.send(undone, "(event) decided, taken back since"); len(out) != 0 {
			h.t.Errorf("a decision taken back is told: %+v", out)
		}
		if out := h.send(decided(), "(event) decided"); len(out) != 1 || !strings.HasPrefix(out[0].Text, "✅ Bản tự đánh giá") {
			h.t.Errorf("the acceptance is told %+v", out)
		}
		// The province recognises on acceptance: the certificate comes; the
		// recognition of the acceptance taken back does not.
		certificate := func(id int64) flows.Input {
			return flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: review.EventRecognised, ID: id, Rev: 1}}
		}
		if out := h.send(certificate(1), "(event) recognised, taken back since"); len(out) != 0 {
			h.t.Errorf("an ended recognition's certificate: %+v", out)
		}
		out = h.send(certificate(2), "(event) recognised")
		if len(out) != 1 || out[0].Document == nil || !bytes.HasPrefix(out[0].Document.Data, []byte("%PDF-")) ||
			out[0].Document.Name != "giay-cong-nhan-2.pdf" || !strings.Contains(out[0].Text, "Danh hiệu Gia đình học tập năm 2026") {
			h.t.Errorf("the certificate %+v", out)
		}
		if out := rv.pressOld("❌ Không đạt", 0); notice(out) != "Nút này đã cũ, không còn dùng được." {
			h.t.Errorf("a decision button after the decision: %+v", out)
		}
		forged := flows.Token{Module: "r", Verb: "op", ID: 999}.String()
		if out := rv.send(flows.Input{Kind: flows.InputButton, Button: forged}, "forged [open 999]"); notice(out) != "Nút này đã cũ, không còn dùng được." {
			h.t.Errorf("a forged button: %+v", out)
		}
	}},

	// A community's indicator 3.3 is the reviewer's to score: Accept asks
	// its points first (out of range refused), the card shows the score
	// they make, and the acceptance keeps it as the result.
	{"review_points", "en", func(h *harness) {
		communityOn(h, "yes")
		h.press(h.l("confirm"))
		rv := h.other(7171, "en", "reviewer")
		rv.command("start")
		rv.press("✅ I agree")
		h.store.GrantRole(h.ctx, 2, role.Reviewer, area.SampleCommune, 0)
		out := rv.command("review")
		rv.press(shown(out)[0])
		out = rv.press("✅ Accept")
		if r := last(out); !strings.Contains(r, "<b>3.3</b> The reviewer's overall assessment. (0 to 10 points)") {
			h.t.Errorf("the points asked %q", r)
		}
		rv.text("12")
		out = rv.text("8")
		if r := last(out); !strings.Contains(r, "<b>8 points</b> (scored by the reviewer)") || !strings.Contains(r, "<b>88</b>/100") {
			h.t.Errorf("the card after the points %q", r)
		}
		rv.press("✅ Accept")
		if a := h.store.Submitted(); len(a) != 1 || a[0].Result.Total != 88 || !a[0].Result.Passed {
			h.t.Errorf("the result kept %+v", a[0].Result)
		}
	}},

	// Assisted entry: a reviewer fills in for a household without a phone,
	// once its head consented, only within the reviewer's area; the
	// assessment is marked as assisted and the household has no
	// representative to be told.
	{"assisted_entry", "vi", func(h *harness) {
		h.command("start")
		h.press(h.l("agree"))
		h.store.GrantRole(h.ctx, 1, role.Reviewer, area.SampleCommune, 0)
		h.command("review")
		h.press("📝 Nhập hộ cho hộ không có điện thoại")
		h.text("xin chào") // a text where the consent is asked
		h.press("✅ Chủ hộ đã nghe và đồng ý")
		h.text("Nhà ông Sáu")
		h.press("Tỉnh Tuyên Quang")
		h.press("Xã Lâm Bình")
		if out := h.press("Thôn Nà Khà"); !strings.HasPrefix(last(out), "Nơi này không thuộc địa bàn thẩm định của bạn") {
			h.t.Errorf("outside the reviewer's area: %q", last(out))
		}
		h.press(h.l("province"))
		h.press(h.l("commune"))
		h.press(h.l("village"))
		if a := h.open(); !a.Assisted || a.SubjectName != "Nhà ông Sáu" || a.AreaCode != area.SampleCommune+".01" {
			h.t.Errorf("the assisted assessment %+v", a)
		}
		if subjects, _ := h.store.Subjects(h.ctx, 1, scoring.KindFamily); len(subjects) != 0 {
			h.t.Errorf("the reviewer represents %+v", subjects)
		}
	}},

	// A province that confirms recognitions: the accepted submission waits
	// for its recogniser, who recognises the batch under a decision's number
	// and date (a date to come is refused); the household gets the
	// certificate naming the decision.
	{"recognition_batch", "vi", func(h *harness) {
		h.store.SetChain(h.ctx, "01", flows.ChainConfirm, 0, start)
		walkFamily(h)
		rv, rg := h.other(6161, "vi", "reviewer"), h.other(6262, "vi", "recogniser")
		for _, o := range []*harness{rv, rg} {
			o.command("start")
			o.press("✅ Đồng ý")
		}
		h.store.GrantRole(h.ctx, 2, role.Reviewer, area.SampleCommune, 0)
		h.store.GrantRole(h.ctx, 3, role.Recogniser, "01", 0)
		if out := rv.command("recognise"); !strings.Contains(last(out), "chưa có vai trò công nhận") {
			h.t.Errorf("/recognise of a reviewer: %q", last(out))
		}
		rv.command("review")
		rv.press("<Nguyễn & Con> — Thôn Đông · 01/03/2026")
		rv.press("✅ Chấp nhận")
		out := rg.command("recognise")
		if got := shown(out); len(got) != 2 || got[0] != "🏅 Công nhận 1 bản" {
			h.t.Errorf("the batch %q", got)
		}
		rg.press("🏅 Công nhận 1 bản")
		rg.text("12/QĐ-KH")
		rg.text("31/12/2099") // a day to come
		rg.press("Hôm nay (01/03/2026)")
		rg.press("🏅 Xác nhận công nhận")
		if out := rg.pressOld("🏅 Xác nhận công nhận", 0); notice(out) != "Nút này đã cũ, không còn dùng được." {
			h.t.Errorf("the confirmation pressed again: %+v", out)
		}
		out = h.send(flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: review.EventRecognised, ID: 1, Rev: 1}}, "(event) recognised")
		if len(out) != 1 || out[0].Document == nil {
			h.t.Fatalf("no certificate: %+v", out)
		}
	}},

	// A province's recogniser recognises one of two accepted submissions
	// alone, then sends a recognised title back with a reason: the
	// household is told why, the submission waits for its reviewer again,
	// marked; a commune's recogniser may not send titles back.
	{"title_sent_back", "vi", func(h *harness) {
		h.store.SetChain(h.ctx, "01", flows.ChainConfirm, 0, start)
		walkFamily(h)
		other := h.other(6060, "vi", "household 2")
		other.command("start")
		other.press("✅ Đồng ý")
		a, err := h.store.Start(h.ctx, flows.NewAssessment{PersonID: 2, Kind: scoring.KindFamily, Name: "Nhà Hai", AreaCode: area.SampleCommune + ".01",
			Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Key: "second"})
		if err != nil {
			h.t.Fatal(err)
		}
		if err := h.store.Submit(h.ctx, a.ID, a.Rev, 2, scoring.Result{Total: 90, Passed: true}, start); err != nil {
			h.t.Fatal(err)
		}
		h.note("Nhà Hai, the household of person 2, submitted too")
		rv, rg, local := h.other(6161, "vi", "reviewer"), h.other(6262, "vi", "province recogniser"), h.other(6363, "vi", "commune recogniser")
		for _, o := range []*harness{rv, rg, local} {
			o.command("start")
			o.press("✅ Đồng ý")
		}
		h.store.GrantRole(h.ctx, 3, role.Reviewer, area.SampleCommune, 0)
		h.store.GrantRole(h.ctx, 4, role.Recogniser, "01", 0)
		h.store.GrantRole(h.ctx, 5, role.Recogniser, area.SampleCommune, 0)
		for _, name := range []string{"Nhà Hai", "<Nguyễn & Con>"} {
			rv.command("review")
			rv.press(name + " — Thôn Đông · 01/03/2026")
			rv.press("✅ Chấp nhận")
		}
		rg.command("recognise")
		rg.press("🏅 Chỉ công nhận: <Nguyễn & Con> — Thôn Đông · 01/03/2026")
		rg.text("7/QĐ-KH")
		rg.press("Hôm nay (01/03/2026)")
		out := rg.press("🏅 Xác nhận công nhận")
		if r := last(out); !strings.Contains(r, "Chờ công nhận: <b>1</b> bản") || !strings.Contains(r, "Đã công nhận 1 bản") {
			h.t.Errorf("one of two recognised: %q", r)
		}
		if got := shown(local.command("recognise")); slices.ContainsFunc(got, func(b string) bool { return strings.HasPrefix(b, "📜") }) {
			h.t.Errorf("a commune's recogniser is offered the titles: %q", got)
		}
		rg.press("📜 Danh hiệu đã công nhận (1)")
		rg.press("<Nguyễn & Con> · Thôn Đông · 2026")
		rg.press("↩️ Trả lại danh hiệu")
		rg.text("ok") // too short
		out = rg.text("Ảnh minh chứng câu 1.1 không phải của hộ")
		if !strings.HasPrefix(last(out), "↩️ Đã trả lại danh hiệu; bản tự đánh giá chờ người thẩm định xem lại.") {
			h.t.Errorf("sent back: %+v", out)
		}
		if out := rg.pressOld("↩️ Trả lại danh hiệu", 0); notice(out) != "Nút này đã cũ, không còn dùng được." {
			h.t.Errorf("the send-back pressed again: %+v", out)
		}
		out = h.send(flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: review.EventReturned, ID: 1, Rev: 1}}, "(event) returned")
		if r := last(out); !strings.Contains(r, "đã được cấp trên trả lại") || !strings.Contains(r, "Lý do: Ảnh minh chứng câu 1.1 không phải của hộ") {
			h.t.Errorf("the household is told %q", r)
		}
		out = rv.command("review")
		if got := shown(out); len(got) == 0 || got[0] != "<Nguyễn & Con> — Thôn Đông · 01/03/2026 ↩" {
			h.t.Fatalf("the queue after the send-back %q", got)
		}
		out = rv.press(shown(out)[0])
		if r := last(out); !strings.Contains(r, "Cấp trên đã trả lại danh hiệu đã công nhận để thẩm định lại (lý do: Ảnh minh chứng câu 1.1 không phải của hộ)") {
			h.t.Errorf("the card %q", r)
		}
	}},

	// A commune's leader makes invitations in the bot: a reviewer for the
	// commune, and the households of one of its villages; a place outside
	// the commune cannot be chosen, not even with a forged button. The link
	// made works for the one invited.
	{"invitations_in_bot", "vi", func(h *harness) {
		h.command("start")
		h.press(h.l("agree"))
		if out := h.command("invite"); !strings.Contains(last(out), "chưa có vai trò được mời") {
			h.t.Errorf("/invite of a household: %q", last(out))
		}
		h.store.GrantRole(h.ctx, 1, role.Leader, area.SampleCommune, 0)
		out := h.command("invite")
		if got := shown(out); slices.Contains(got, "Quản trị") || len(got) != 5 {
			h.t.Errorf("a leader may give %q", got)
		}
		h.press("Người thẩm định")
		out = h.press("Xã Sóc Sơn")
		link := regexp.MustCompile(`/start (\S+)`).FindStringSubmatch(out[0].Text)
		if link == nil || !strings.Contains(out[0].Text, "dùng được một lần") {
			h.t.Fatalf("the link %q", out[0].Text)
		}
		h.press("Hộ gia đình vào một thôn")
		h.text("thon doai")
		h.press("Thôn Đoài · Xã Sóc Sơn")
		h.press("Hộ gia đình vào một thôn")
		h.text("na kha") // Lâm Bình is not the leader's
		forged := flows.Token{Module: "iv", Verb: "ar", Code: area.SampleHardshipCommune + ".01"}.String()
		if out := h.send(flows.Input{Kind: flows.InputButton, Button: forged}, "forged [Thôn Nà Khà]"); notice(out) != "Nút này đã cũ, không còn dùng được." {
			h.t.Errorf("a forged place: %+v", out)
		}
		invited := h.other(8181, "vi", "invited")
		invited.send(flows.Input{Kind: flows.InputCommand, Command: "start", Text: link[1]}, "/start "+link[1])
		if out := invited.press("✅ Đồng ý"); !strings.Contains(last(out), "người thẩm định</b> cho <b>Xã Sóc Sơn") {
			h.t.Errorf("the link made in the bot: %q", last(out))
		}
		// The leader lists and ends what is in force in the commune; a role
		// elsewhere cannot be ended, not even with a forged button.
		h.store.GrantRole(h.ctx, 2, role.Reviewer, area.SampleHardshipCommune, 0)
		out = h.command("roles")
		if got := shown(out); !slices.Equal(got, []string{"🚫 Thu hồi vai trò #2", "🚫 Thu hồi lời mời #2", "◀ Xong"}) {
			h.t.Errorf("the roles screen %q", got)
		}
		h.press("🚫 Thu hồi vai trò #2")
		forged = flows.Token{Module: "iv", Verb: "er", ID: 3}.String()
		if out := h.send(flows.Input{Kind: flows.InputButton, Button: forged}, "forged [🚫 Thu hồi vai trò #3]"); notice(out) != "Nút này đã cũ, không còn dùng được." {
			h.t.Errorf("a forged revocation: %+v", out)
		}
		if may, _ := h.store.May(h.ctx, 2, role.ReviewList); !may {
			h.t.Error("the reviewer of Lâm Bình lost the role")
		}
		if out := invited.command("review"); !strings.Contains(last(out), "Không có bản tự đánh giá nào chờ thẩm định") {
			h.t.Errorf("the Lâm Bình role is not kept: %q", last(out))
		}
	}},

	// A ward with no village yet: a household enrols at the ward itself;
	// the ward's leader adds its residential groups in the bot (a name it
	// has already is not added twice) and moves the household into its
	// group.
	{"villages_added", "vi", func(h *harness) {
		baDinh := flows.Area{Code: "00004", Parent: "01", Level: "commune", Name: scoring.Text{VI: "Phường Ba Đình", EN: "Ba Đình ward"}, Region: scoring.RegionNormal}
		h.store = flowstest.WithAreas(append(area.Sample(), baDinh))
		h.restart()
		h.command("start")
		h.press(h.l("agree"))
		h.press(h.l("family"))
		h.text("Nhà Lý")
		h.press(h.l("province"))
		if out := h.press("Phường Ba Đình"); !strings.Contains(last(out), "Câu 1/12") || h.open().AreaCode != "00004" {
			h.t.Errorf("enrolled at the ward: %q", last(out))
		}
		leader := h.other(9191, "vi", "leader")
		leader.command("start")
		leader.press("✅ Đồng ý")
		h.store.GrantRole(h.ctx, 2, role.Leader, "00004", 0)
		mai := h.other(9292, "vi", "Nhà Mai")
		mai.command("start")
		mai.press(h.l("agree"))
		mai.press(h.l("family"))
		mai.text("Nhà Mai")
		mai.press(h.l("province"))
		mai.press("Phường Ba Đình")
		leader.command("villages")
		leader.press("➕ Thêm thôn, tổ dân phố")
		leader.text("Tổ dân phố 1\nTổ dân phố 2\n  tổ dân phố 1 ")
		// Each household at the ward is asked which is its own, beside
		// what it is doing.
		asked := h.store.TakeAsked()
		if len(asked) != 2 || asked[0].Person != 1 || asked[1].Person != 3 {
			h.t.Fatalf("asked %+v", asked)
		}
		ask := func(o *harness, a flowstest.Asked) []flows.Output {
			return o.send(flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: relocate.EventAsk, ID: a.Relocation, Rev: 1}}, "(event) relocate")
		}
		out := ask(mai, asked[1])
		if len(out) != 1 || !strings.HasPrefix(out[0].Text, "<b>Phường Ba Đình</b> nay đã có danh sách thôn, tổ dân phố; hộ <b>Nhà Mai</b> của bạn ở thôn, tổ dân phố nào?") ||
			!slices.Equal(shown(out), []string{"Tổ dân phố 1", "Tổ dân phố 2"}) {
			h.t.Errorf("the question %+v", out)
		}
		if out := mai.press("Tổ dân phố 2"); !strings.Contains(last(out), "nay thuộc <b>Tổ dân phố 2</b>") {
			h.t.Errorf("Nhà Mai picked: %+v", out)
		}
		leader.command("villages")
		leader.press("🏠 Chuyển hộ vào thôn (1 hộ ở cấp xã)")
		leader.press("Nhà Lý")
		if out := leader.press("Tổ dân phố 1"); !strings.HasPrefix(last(out), "Đã chuyển hộ vào <b>Tổ dân phố 1</b>") {
			h.t.Errorf("moved: %q", last(out))
		}
		if a := h.open(); a.AreaCode != "00004.01" {
			h.t.Errorf("the household is in %s", a.AreaCode)
		}
		// Forged buttons: the household again, into another commune's village.
		leader.send(flows.Input{Kind: flows.InputButton, Button: flows.Token{Module: "pl", Verb: "h", ID: 1}.String()}, "forged [Nhà Lý]")
		forged := flows.Token{Module: "pl", Verb: "vl", Code: area.SampleCommune + ".01"}.String()
		if out := leader.send(flows.Input{Kind: flows.InputButton, Button: forged}, "forged [Thôn Đông]"); notice(out) != "Nút này đã cũ, không còn dùng được." {
			h.t.Errorf("a forged move: %+v", out)
		}
		if a := h.open(); a.AreaCode != "00004.01" {
			h.t.Errorf("the household moved to %s", a.AreaCode)
		}
		if out := ask(h, asked[0]); len(out) != 0 {
			h.t.Errorf("the question of a household moved since: %+v", out)
		}
	}},

	// A village is split: each representative of a household placed in it
	// is asked, beside whatever they are doing, which of the new villages
	// the household belongs to now. A typed text goes to the conversation
	// going on; a forged pick changes nothing; the first to pick moves it,
	// the other's button then says where it is, a late notice drops
	// itself, and someone who does not represent it cannot pick.
	{"split_pick", "vi", func(h *harness) {
		h.enrol("family", "Nhà Lê")
		h.press(h.l("no")) // 1.1
		h.press(h.l("summary"))
		out := h.press("👥 Mời người nhà cùng làm")
		link := regexp.MustCompile(`/start (\S+)`).FindStringSubmatch(out[0].Text)
		if link == nil {
			h.t.Fatalf("the link %+v", out)
		}
		wife := h.other(6363, "vi", "wife")
		wife.send(flows.Input{Kind: flows.InputCommand, Command: "start", Text: link[1]}, "/start "+link[1])
		wife.press("✅ Đồng ý")

		village := area.SampleCommune + ".01"
		upper := flows.Area{Code: area.SampleCommune + ".03", Parent: area.SampleCommune, Level: "village",
			Name: scoring.Text{VI: "Thôn Đông Thượng", EN: "Đông Thượng village"}, Region: scoring.RegionNormal}
		lower := flows.Area{Code: area.SampleCommune + ".04", Parent: area.SampleCommune, Level: "village",
			Name: scoring.Text{VI: "Thôn Đông Hạ", EN: "Đông Hạ village"}, Region: scoring.RegionNormal}
		h.note("an area import splits Thôn Đông on 1 March 2026 into Thôn Đông Thượng and Thôn Đông Hạ")
		asked := h.store.Split(village, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), upper, lower)
		if len(asked) != 2 || asked[0].Person != 1 || asked[1].Person != 2 {
			h.t.Fatalf("asked %+v", asked)
		}
		ask := func(o *harness, a flowstest.Asked) []flows.Output {
			return o.send(flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: relocate.EventAsk, ID: a.Relocation, Rev: 1}}, "(event) relocate")
		}
		out = ask(h, asked[0])
		if len(out) != 1 || !strings.HasPrefix(out[0].Text, "<b>Thôn Đông</b> đã được chia từ ngày 01/03/2026; hộ <b>Nhà Lê</b> của bạn nay thuộc thôn, tổ dân phố nào?") ||
			!slices.Equal(shown(out), []string{"Thôn Đông Hạ", "Thôn Đông Thượng"}) {
			h.t.Errorf("the question %+v", out)
		}
		ask(wife, asked[1])
		if out := h.text("xin chào"); !strings.Contains(last(out), "Xem lại trước khi nộp") {
			h.t.Errorf("a text beside the question: %q", last(out))
		}
		forged := flows.Token{Module: relocate.Name, Verb: "to", ID: asked[0].Relocation, Code: area.SampleCommune + ".02"}.String()
		out = h.send(flows.Input{Kind: flows.InputButton, Button: forged}, "forged [Thôn Đoài]")
		if notice(out) != "Nút này đã cũ, không còn dùng được." || !strings.Contains(last(out), "nay thuộc thôn, tổ dân phố nào?") {
			h.t.Errorf("a forged pick: %+v", out)
		}
		if out := h.press("Thôn Đông Thượng"); last(out) != "✅ Đã ghi nhận: hộ <b>Nhà Lê</b> của bạn nay thuộc <b>Thôn Đông Thượng</b>." {
			h.t.Errorf("picked: %q", last(out))
		}
		if a := h.open(); a.AreaCode != upper.Code {
			h.t.Errorf("the household is in %s", a.AreaCode)
		}
		out = wife.press("Thôn Đông Hạ")
		if notice(out) != "Đã có người chọn rồi." || last(out) != "Đã chọn xong: hộ <b>Nhà Lê</b> của bạn nay thuộc <b>Thôn Đông Thượng</b>." {
			h.t.Errorf("the other representative's pick after it: %+v", out)
		}
		if out := ask(wife, asked[1]); len(out) != 0 {
			h.t.Errorf("a late notice is shown: %+v", out)
		}
		neighbour := h.other(6565, "vi", "neighbour")
		neighbour.command("start")
		neighbour.press("✅ Đồng ý")
		pick := flows.Token{Module: relocate.Name, Verb: "to", ID: asked[0].Relocation, Code: lower.Code}.String()
		if out := neighbour.send(flows.Input{Kind: flows.InputButton, Button: pick}, "forged [Thôn Đông Hạ]"); notice(out) != "Nút này đã cũ, không còn dùng được." {
			h.t.Errorf("a pick by someone else: %+v", out)
		}
		if a := h.open(); a.AreaCode != upper.Code {
			h.t.Errorf("the household moved to %s", a.AreaCode)
		}
	}},

	// A household's second representative: from the summary the first
	// makes a link for a family member, who consents, finds the household's
	// assessment in their menu and answers the next question of the same
	// assessment; the link is for one person.
	{"second_representative", "vi", func(h *harness) {
		h.enrol("family", "Nhà Lê")
		h.press(h.l("no")) // 1.1
		h.press(h.l("summary"))
		out := h.press("👥 Mời người nhà cùng làm")
		link := regexp.MustCompile(`/start (\S+)`).FindStringSubmatch(out[0].Text)
		if link == nil || !strings.Contains(last(out), "Xem lại trước khi nộp") {
			h.t.Fatalf("the link %+v", out)
		}
		wife := h.other(6363, "vi", "wife")
		wife.send(flows.Input{Kind: flows.InputCommand, Command: "start", Text: link[1]}, "/start "+link[1])
		if out := wife.press("✅ Đồng ý"); !strings.Contains(last(out), "Bạn đã cùng đại diện cho <b>Nhà Lê</b>") {
			h.t.Errorf("the second representative: %q", last(out))
		}
		wife.press(h.lf("continue_family", "Nhà Lê"))
		wife.press(h.lf("answer", "1.2"))
		wife.press(h.l("no")) // 1.2, in the same assessment
		if a := h.open(); a.Answers["1.2"] != scoring.No() || a.Answers["1.1"] != scoring.No() {
			h.t.Errorf("the answers of the shared assessment %v", a.Answers)
		}
		son := h.other(6464, "vi", "son")
		son.send(flows.Input{Kind: flows.InputCommand, Command: "start", Text: link[1]}, "/start "+link[1])
		if out := son.press("✅ Đồng ý"); !strings.Contains(last(out), "Lời mời này đã được dùng hết") {
			h.t.Errorf("the link used twice: %q", last(out))
		}
	}},

	// Registration of intent: a household registers for the year from the
	// menu, named and placed as for a self-assessment, and comes back to
	// the menu; when it assesses later, the same household is chosen and
	// registered once.
	{"registration", "vi", func(h *harness) {
		h.command("start")
		h.press(h.l("agree"))
		h.press("📝 Đăng ký danh hiệu năm nay")
		h.press(h.l("family"))
		h.text("Nhà Lê")
		h.press(h.l("province"))
		h.press(h.l("commune"))
		if out := h.press(h.l("village")); !strings.HasPrefix(last(out), "✅ <b>Nhà Lê</b> đã đăng ký phấn đấu danh hiệu <b>Gia đình học tập</b> năm 2026") {
			h.t.Errorf("registered: %q", last(out))
		}
		h.press(h.l("family"))
		if out := h.press(h.lf("subject", "Nhà Lê")); !strings.Contains(last(out), "Câu 1/12") {
			h.t.Errorf("the household registered, assessed: %q", last(out))
		}
	}},

	// Invitation links: one to a role, opened before consent, applies once
	// consent is given; a household's enrols it into its village; one
	// opened mid-questionnaire gives its role and the question again. Used
	// up, expired, withdrawn and forged links each get one clear answer.
	{"invitations", "vi", func(h *harness) {
		open := func(h *harness, payload string) []flows.Output {
			return h.send(flows.Input{Kind: flows.InputCommand, Command: "start", Text: payload}, "/start "+payload)
		}
		week := start.Add(7 * 24 * time.Hour)
		reviewer := h.store.Invite(string(role.Reviewer), area.SampleCommune, 1, week)
		household := h.store.Invite(flows.Household, area.SampleCommune+".02", 0, week)
		open(h, household)
		h.press(h.l("agree"))
		if out := h.text("Nhà Phạm"); !strings.Contains(last(out), "Câu 1/12") || h.open().AreaCode != area.SampleCommune+".02" {
			h.t.Errorf("the household invited into Thôn Đoài: %q", last(out))
		}
		out := open(h, reviewer) // mid-questionnaire
		if r := last(out); !strings.HasPrefix(r, "✅ Bạn đã được giao vai trò <b>người thẩm định</b> cho <b>Xã Sóc Sơn</b>") || !strings.Contains(r, "Câu 1/12") {
			h.t.Errorf("a role mid-questionnaire: %q", r)
		}
		open(h, reviewer) // again: nothing more, the same answer

		other := h.other(5252, "vi", "another")
		open(other, reviewer)
		if out := other.press(other.l("agree")); !strings.HasPrefix(last(out), "Cảm ơn bạn đã đồng ý.\n\nLời mời này đã được dùng hết") {
			other.t.Errorf("a used-up invitation: %q", last(out))
		}
		withdrawn := h.store.Invite(string(role.Leader), "01", 0, week)
		h.store.Withdraw(withdrawn)
		if out := open(other, withdrawn); !strings.HasPrefix(last(out), "Lời mời này đã hết hạn hoặc đã bị thu hồi") {
			other.t.Errorf("a withdrawn invitation: %q", last(out))
		}
		for _, forged := range []string{"inv99", "x y", strings.Repeat("a", 65)} {
			if out := open(other, forged); !strings.HasPrefix(last(out), "Lời mời này không đúng") {
				other.t.Errorf("a forged invitation %q: %q", forged, last(out))
			}
		}
		h.later(8 * 24 * time.Hour)
		if out := open(other, household); !strings.HasPrefix(last(out), "Lời mời này đã hết hạn") {
			other.t.Errorf("an expired invitation: %q", last(out))
		}
	}},

	// An album at a photo step followed at once by Done: the album's
	// confirmation never comes after the next question. When the person
	// waits instead, it comes once, after the last photo.
	{"album_then_done", "vi", func(h *harness) {
		h.enrol("family", "Nhà Lê")
		h.press(h.l("yes")) // 1.1: evidence required
		for i := range 3 {
			h.photo("album", picture(h.t, i), "a1")
		}
		h.press(h.l("done"))
		if len(h.held) != 0 {
			h.t.Error("an album's confirmation is still held after the next step")
		}
		h.press(h.l("yes")) // 1.2: evidence required
		for i := range 2 {
			h.photo("album", picture(h.t, 10+i), "a2")
		}
		if len(h.held) != 1 || !strings.Contains(h.held[0].Text, "Đã nhận 2 ảnh") {
			h.t.Errorf("held %+v, want the one confirmation of 2 photos", h.held)
		}
		h.quiet()
		if got := h.open().Photos; got["1.1"] != 3 || got["1.2"] != 2 {
			h.t.Errorf("photos stored %v", got)
		}
	}},
}

// scenario is one golden conversation: its name, its language and what
// it does.
type scenario struct {
	name string
	lang string
	run  func(h *harness)
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	for _, sc := range slices.Concat(scenarios, settingsScenarios, broadcastScenarios, remindScenarios, progressScenarios) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sc.lang)
			sc.run(h)
			h.golden(sc.name)
		})
	}
}

// withdrawnFamily returns the shipped sets with family-2015@1 withdrawn
// for a version 2 in which question 1.2 became 1.9.
func withdrawnFamily(t *testing.T) *scoring.Catalog {
	t.Helper()
	dir := t.TempDir()
	files, err := scoring.ShippedFiles()
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if name != "family-2015.yaml" {
			write(t, filepath.Join(dir, name), string(data))
			continue
		}
		old := strings.Replace(string(data), "status: draft\n", "status: withdrawn\nreplaced_by: family-2015@3\n", 1)
		next := strings.Replace(string(data), "version: 2\n", "version: 3\n", 1)
		next = strings.Replace(next, `      - code: "1.2"`, `      - code: "1.9"`, 1)
		write(t, filepath.Join(dir, "old.yaml"), old)
		write(t, filepath.Join(dir, "new.yaml"), next)
	}
	cat, err := scoring.LoadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
