package bot_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/role"
)

// TestReviewCycle, through the Bot API as the bot runs: a household comes
// by its village's invitation link and submits with an album; a reviewer
// of its commune, in English, made so by a link, opens it
// from /review and gets the photos again by file id, as an album, then
// sends it back with a reason from the list. Once the undo window has
// passed the household is told, in Vietnamese, with the reason in
// Vietnamese; it changes an answer and submits again; the reviewer sees
// the change, accepts, and the household is told.
func TestReviewCycle(t *testing.T) {
	t.Parallel()
	s := newSystem(t, setup{jobs: true})
	s.startBot()
	ctx := context.Background()
	week := time.Now().Add(7 * 24 * time.Hour)
	link := func(r, areaCode string, uses int) string {
		t.Helper()
		payload, err := s.db.CreateInvitation(ctx, flows.NewInvitation{Role: r, Area: areaCode, Uses: uses, Expires: week})
		if err != nil {
			t.Fatal(err)
		}
		return "/start " + payload
	}
	// The household comes by its village's invitation link: consent, then
	// its name, and it is placed in Thôn Đông.
	family := s.person(7101, "vi")
	s.api.SendCommand(family.u, link(flows.Household, area.SampleCommune+".01", 0))
	family.wait("Bạn có đồng ý")
	family.step("✅ Đồng ý", "Bạn được mời tự đánh giá danh hiệu Gia đình học tập ở Thôn Đông")
	family.say("<Nguyễn & Con>")
	family.wait("Câu 1/12")
	family.step("Không", "Câu 2/12") // 1.1
	family.finish()
	submitted := s.submitted()
	if len(submitted) != 1 {
		t.Fatalf("%d submitted", len(submitted))
	}
	evidence, err := s.db.EvidenceFiles(ctx, submitted[0].ID)
	if err != nil || len(evidence["3.1"]) != 3 {
		t.Fatalf("the household's photos %v %v", evidence, err)
	}

	// The reviewer uses the bot already; the commune's reviewer link,
	// for one person, gives the role at once.
	rv := s.person(7102, "en")
	s.api.SendCommand(rv.u, "/start")
	rv.wait("Do you agree")
	rv.step("✅ I agree", "Which title")
	s.api.SendCommand(rv.u, "/review")
	rv.wait("You have no reviewer role yet")
	reviewerLink := link(string(role.Reviewer), area.SampleCommune, 1)
	s.api.SendCommand(rv.u, reviewerLink)
	rv.wait("You are now a reviewer for Sóc Sơn commune")
	late := s.person(7103, "vi") // the link was for one
	s.api.SendCommand(late.u, reviewerLink)
	late.wait("Bạn có đồng ý")
	late.step("✅ Đồng ý", "Lời mời này đã được dùng hết")
	s.api.SendCommand(rv.u, "/review")
	rv.wait("Waiting for review: 1,")
	rv.pressPrefix("<Nguyễn & Con> — Đông village · ")
	card := rv.wait("Review · Learning Family")
	if !strings.Contains(card.Text, "<Nguyễn & Con> — Đông village") || !strings.Contains(card.Text, "family-2015@2") {
		t.Errorf("the card: %q", card.Text)
	}
	if got := card.Keyboard[0]; len(got) != 3 || got[0].Text != "✅ Accept" || got[1].Text != "↩️ Send back for changes" || got[2].Text != "❌ Reject" {
		t.Errorf("the decisions %+v", got)
	}
	// The three photos of 3.1 came again as one album, by the file ids the
	// household's photos have.
	albums := map[string][]string{}
	for _, m := range s.api.Messages(rv.u.ID) {
		if m.Album != "" {
			albums[m.Album] = append(albums[m.Album], m.FileID)
		}
	}
	if len(albums) != 1 {
		t.Fatalf("albums sent to the reviewer: %v", albums)
	}
	for _, ids := range albums {
		if !slices.Equal(ids, evidence["3.1"]) {
			t.Errorf("the album shows %v, the household sent %v", ids, evidence["3.1"])
		}
	}
	rv.step("↩️ Send back for changes", "pick a reason")
	rv.step("The evidence photos are not clear", "Sent back for changes on")

	// Due only once the undo window has passed (the store's test checks
	// when each job is due).
	deliver := func(after time.Duration) int { return s.delivered(time.Now().Add(after)) }
	if n := deliver(11 * time.Minute); n != 1 {
		t.Errorf("%d notices delivered after the undo window, want 1", n)
	}
	told := family.wait("được người thẩm định trả lại để sửa")
	if !strings.Contains(told.Text, "Lý do: Ảnh minh chứng không rõ") {
		t.Errorf("the household is told %q", told.Text)
	}

	s.api.SendCommand(family.u, "/start")
	family.wait("Bạn đang làm dở")
	family.step("▶ Gia đình học tập: <Nguyễn & Con>", "Xem lại trước khi nộp")
	family.step("✏️ 2.2", "Câu 5/12")
	family.step("Có", "Minh chứng") // 2.2, optional evidence
	family.step("⏭ Không có ảnh", "Xem lại trước khi nộp")
	family.submit()

	s.api.SendCommand(rv.u, "/review")
	rv.wait("Waiting for review: 1,")
	rv.pressPrefix("<Nguyễn & Con> — Đông village · ")
	if card := rv.wait("Review · Learning Family"); !strings.Contains(card.Text, "✏️ changed") || !strings.Contains(card.Text, "Sent in again (1)") {
		t.Errorf("the resubmission's card: %q", card.Text)
	}
	rv.step("✅ Accept", "Accepted on")
	if n := deliver(11 * time.Minute); n != 2 {
		t.Errorf("%d notices delivered after the acceptance, want the decision and the certificate", n)
	}
	// The province recognises on acceptance: the certificate comes after
	// the decision, as a PDF document whose text has the household's name,
	// diacritics and all.
	cert := family.wait("🏅 Giấy công nhận")
	if msgs := s.api.Messages(family.u.ID); !strings.Contains(msgs[len(msgs)-2].Text, "đã được người thẩm định chấp nhận") {
		t.Errorf("before the certificate the household is shown %q", msgs[len(msgs)-2].Text)
	}
	if cert.FileName != "giay-cong-nhan-1.pdf" || cert.MIMEType != "application/pdf" {
		t.Errorf("the certificate's file %q %q", cert.FileName, cert.MIMEType)
	}
	path := filepath.Join(t.TempDir(), cert.FileName)
	if err := os.WriteFile(path, cert.Document, 0o644); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command("pdftotext", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils): %v", err)
	}
	for _, want := range []string{"GIẤY CÔNG NHẬN", "<Nguyễn & Con>", "Thôn Đông, Xã Sóc Sơn, Thành phố Hà Nội", "Danh hiệu Gia đình học tập năm"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the certificate's text lacks %q:\n%s", want, text)
		}
	}
	if n := deliver(time.Hour); n != 0 {
		t.Errorf("%d notices delivered again", n)
	}
	// The recognition and the audit rows are there.
	var recognised int
	var actions string
	if err := s.db.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM recognitions WHERE ended_at IS NULL),
		(SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE action NOT IN ('answer', 'evidence', 'start', 'consent'))`).Scan(&recognised, &actions); err != nil {
		t.Fatal(err)
	}
	want := "invitation.create,invitation.use,submit,invitation.create,invitation.use,role.grant,review.needs_changes,submit,review.accepted,recognise"
	if recognised != 1 || actions != want {
		t.Errorf("%d recognitions; audit %s, want %s", recognised, actions, want)
	}
}
