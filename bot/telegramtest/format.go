package telegramtest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// Telegram's limits on texts, in characters after entity parsing, and on
// callback data, in bytes.
const (
	maxTextLength     = 4096
	maxCaptionLength  = 1024
	maxCallbackData   = 64
	maxCommands       = 100
	maxCommandDescLen = 256
)

// formatted is a text after its parse mode was applied: what the user sees,
// and the entities that style it (offsets in UTF-16 code units).
type formatted struct {
	text     string
	entities []models.MessageEntity
}

func (f formatted) equal(g formatted) bool {
	return f.text == g.text && slices.EqualFunc(f.entities, g.entities, func(a, b models.MessageEntity) bool {
		return reflect.DeepEqual(a, b)
	})
}

// format applies parse_mode (or explicit entities) to source and trims the
// result, as Telegram does before storing a text or caption.
func format(source, parseMode, entitiesJSON string) (formatted, error) {
	var f formatted
	switch strings.ToLower(parseMode) {
	case "":
		f.text = source
		if entitiesJSON != "" {
			if err := json.Unmarshal([]byte(entitiesJSON), &f.entities); err != nil {
				return f, badRequest("can't parse entities JSON object")
			}
		}
	case "html":
		text, entities, err := parseHTML(source)
		if err != nil {
			return f, badRequest("can't parse entities: %v", err)
		}
		f.text, f.entities = text, entities
	case "markdownv2":
		if err := checkMarkdownV2(source); err != nil {
			return f, badRequest("can't parse entities: %v", err)
		}
		f.text = source
	case "markdown":
		f.text = source
	default:
		return f, badRequest("unsupported parse_mode")
	}
	return trim(f), nil
}

// formatText formats a message text and checks it is neither empty nor too
// long.
func formatText(source, parseMode, entitiesJSON string) (formatted, error) {
	f, err := format(source, parseMode, entitiesJSON)
	if err != nil {
		return f, err
	}
	switch n := utf8.RuneCountInString(f.text); {
	case n == 0:
		return f, badRequest("message text is empty")
	case n > maxTextLength:
		return f, badRequest("message is too long")
	}
	return f, nil
}

// formatCaption formats a media caption, which may be empty.
func formatCaption(source, parseMode, entitiesJSON string) (formatted, error) {
	f, err := format(source, parseMode, entitiesJSON)
	if err != nil {
		return f, err
	}
	if utf8.RuneCountInString(f.text) > maxCaptionLength {
		return f, badRequest("message caption is too long")
	}
	return f, nil
}

// trim removes the white space around a text and fits the entities to what
// is left.
func trim(f formatted) formatted {
	left := strings.TrimLeftFunc(f.text, unicode.IsSpace)
	cut := utf16Len(f.text[:len(f.text)-len(left)])
	text := strings.TrimRightFunc(left, unicode.IsSpace)
	total := utf16Len(text)
	var entities []models.MessageEntity
	for _, e := range f.entities {
		start, end := max(e.Offset-cut, 0), min(e.Offset-cut+e.Length, total)
		if end > start {
			e.Offset, e.Length = start, end-start
			entities = append(entities, e)
		}
	}
	return formatted{text: text, entities: entities}
}

// utf16Len is the length of s in UTF-16 code units, the unit of entity
// offsets.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16RuneLen(r)
	}
	return n
}

func utf16RuneLen(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// htmlTags are the tags Telegram's HTML parse mode supports.
var htmlTags = map[string]bool{
	"a": true, "b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "code": true, "pre": true,
	"tg-spoiler": true, "span": true, "tg-emoji": true, "blockquote": true,
}

// parseHTML turns a text in Telegram's HTML parse mode into a plain text and
// its entities. It follows the parser of Telegram's servers (tdlib's
// parse_html) closely enough to give the same errors, such as
// `Unsupported start tag "br" at byte offset 5`.
func parseHTML(src string) (string, []models.MessageEntity, error) {
	type openTag struct {
		tag, arg string
		offset   int // UTF-16 offset in the result
		begin    int // byte offset in the result
	}
	var (
		out      strings.Builder
		entities []models.MessageEntity
		stack    []openTag
		offset   int
		n        = len(src)
	)
	at := func(i int) byte {
		if i < n {
			return src[i]
		}
		return 0
	}
	skipSpace := func(i int) int {
		for i < n && isHTMLSpace(src[i]) {
			i++
		}
		return i
	}
	for i := 0; i < n; {
		c := src[i]
		if c == '&' {
			r, next, ok, err := decodeHTMLEntity(src, i)
			if err != nil {
				return "", nil, err
			}
			if ok {
				out.WriteRune(r)
				offset += utf16RuneLen(r)
				i = next
				continue
			}
		}
		if c != '<' {
			r, size := utf8.DecodeRuneInString(src[i:])
			out.WriteString(src[i : i+size])
			offset += utf16RuneLen(r)
			i += size
			continue
		}

		begin := i
		i++
		if at(i) != '/' {
			// A start tag.
			for i < n && !isHTMLSpace(src[i]) && src[i] != '>' {
				i++
			}
			if i >= n {
				return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
			}
			tag := strings.ToLower(src[begin+1 : i])
			if !htmlTags[tag] {
				return "", nil, fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", tag, begin)
			}
			arg := ""
			for at(i) != '>' {
				i = skipSpace(i)
				if at(i) == '>' {
					break
				}
				nameBegin := i
				for i < n && !isHTMLSpace(src[i]) && src[i] != '=' && src[i] != '>' {
					i++
				}
				name := strings.ToLower(src[nameBegin:i])
				if name == "" {
					return "", nil, fmt.Errorf("Empty attribute name in the tag \"%s\" at byte offset %d", tag, begin)
				}
				i = skipSpace(i)
				if tag == "blockquote" && name == "expandable" && at(i) != '=' {
					arg = "expandable"
					if i >= n {
						return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
					}
					continue
				}
				if at(i) != '=' {
					return "", nil, fmt.Errorf("Expected equal sign in declaration of an attribute of the tag \"%s\" at byte offset %d", tag, begin)
				}
				i = skipSpace(i + 1)
				if i >= n {
					return "", nil, fmt.Errorf("Unclosed start tag \"%s\" at byte offset %d", tag, begin)
				}
				var value string
				if q := src[i]; q != '\'' && q != '"' {
					// A name token: letters, digits, periods and hyphens.
					tokenBegin := i
					for i < n && (isASCIIAlnum(src[i]) || src[i] == '.' || src[i] == '-') {
						i++
					}
					value = strings.ToLower(src[tokenBegin:i])
					if i < n && !isHTMLSpace(src[i]) && src[i] != '>' {
						return "", nil, fmt.Errorf("Unexpected end of name token at byte offset %d", tokenBegin)
					}
				} else {
					// A quoted string, in which entities are decoded.
					var v strings.Builder
					for i++; i < n && src[i] != q; {
						if src[i] == '&' {
							r, next, ok, err := decodeHTMLEntity(src, i)
							if err != nil {
								return "", nil, err
							}
							if ok {
								v.WriteRune(r)
								i = next
								continue
							}
						}
						v.WriteByte(src[i])
						i++
					}
					if i < n {
						i++
					}
					value = v.String()
				}
				if i >= n {
					return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
				}
				switch {
				case tag == "a" && name == "href":
					arg = value
				case tag == "code" && name == "class" && strings.HasPrefix(value, "language-"):
					arg = strings.TrimPrefix(value, "language-")
				case tag == "span" && name == "class" && strings.HasPrefix(value, "tg-"):
					arg = strings.TrimPrefix(value, "tg-")
				case tag == "tg-emoji" && name == "emoji-id":
					arg = value
				}
			}
			if tag == "span" && arg != "spoiler" {
				return "", nil, fmt.Errorf(`Tag "span" must have class "tg-spoiler" at byte offset %d`, begin)
			}
			stack = append(stack, openTag{tag: tag, arg: arg, offset: offset, begin: out.Len()})
			i++ // '>'
			continue
		}

		// An end tag.
		if len(stack) == 0 {
			return "", nil, fmt.Errorf("Unexpected end tag at byte offset %d", begin)
		}
		for i < n && !isHTMLSpace(src[i]) && src[i] != '>' {
			i++
		}
		endTag := strings.ToLower(src[begin+2 : i])
		i = skipSpace(i)
		if at(i) != '>' {
			return "", nil, fmt.Errorf("Unclosed end tag at byte offset %d", begin)
		}
		i++
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if endTag != "" && endTag != top.tag {
			return "", nil, fmt.Errorf(`Unmatched end tag at byte offset %d, expected "</%s>", found "</%s>"`, begin, top.tag, endTag)
		}
		length := offset - top.offset
		if length <= 0 {
			continue
		}
		e := models.MessageEntity{Offset: top.offset, Length: length}
		switch top.tag {
		case "b", "strong":
			e.Type = models.MessageEntityTypeBold
		case "i", "em":
			e.Type = models.MessageEntityTypeItalic
		case "u", "ins":
			e.Type = models.MessageEntityTypeUnderline
		case "s", "strike", "del":
			e.Type = models.MessageEntityTypeStrikethrough
		case "tg-spoiler", "span":
			e.Type = models.MessageEntityTypeSpoiler
		case "tg-emoji":
			if id, err := strconv.ParseInt(top.arg, 10, 64); err != nil || id <= 0 {
				return "", nil, fmt.Errorf("Invalid custom emoji identifier specified")
			}
			e.Type, e.CustomEmojiID = models.MessageEntityTypeCustomEmoji, top.arg
		case "blockquote":
			e.Type = models.MessageEntityTypeBlockquote
			if top.arg == "expandable" {
				e.Type = models.MessageEntityTypeExpandableBlockquote
			}
		case "a":
			link := top.arg
			if link == "" {
				link = out.String()[top.begin:]
			}
			if id, ok := strings.CutPrefix(link, "tg://user?id="); ok {
				uid, err := strconv.ParseInt(id, 10, 64)
				if err != nil {
					continue
				}
				e.Type, e.User = models.MessageEntityTypeTextMention, &models.User{ID: uid}
			} else if link = checkedLink(link); link != "" {
				e.Type, e.URL = models.MessageEntityTypeTextLink, link
			} else {
				continue
			}
		case "pre":
			// <pre><code class="language-x">: the code entity, closed just
			// before, becomes the language of the pre.
			if k := len(entities) - 1; k >= 0 && entities[k].Type == models.MessageEntityTypeCode &&
				entities[k].Offset == e.Offset && entities[k].Length == e.Length && entities[k].Language != "" {
				entities[k].Type = models.MessageEntityTypePre
				continue
			}
			e.Type = models.MessageEntityTypePre
		case "code":
			if k := len(entities) - 1; k >= 0 && entities[k].Type == models.MessageEntityTypePre &&
				entities[k].Offset == e.Offset && entities[k].Length == e.Length && top.arg != "" {
				entities[k].Language = top.arg
				continue
			}
			e.Type, e.Language = models.MessageEntityTypeCode, top.arg
		}
		entities = append(entities, e)
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("Can't find end tag corresponding to start tag %s", stack[len(stack)-1].tag)
	}
	for k := range entities {
		if entities[k].Type == models.MessageEntityTypeCode {
			entities[k].Language = ""
		}
	}
	slices.SortStableFunc(entities, func(a, b models.MessageEntity) int {
		if a.Offset != b.Offset {
			return a.Offset - b.Offset
		}
		if a.Length != b.Length {
			return b.Length - a.Length
		}
		return entityPriority[a.Type] - entityPriority[b.Type]
	})
	return out.String(), entities, nil
}

// entityPriority orders entities with the same range as Telegram does.
var entityPriority = map[models.MessageEntityType]int{
	models.MessageEntityTypeBlockquote:           0,
	models.MessageEntityTypeExpandableBlockquote: 0,
	models.MessageEntityTypePre:                  11,
	models.MessageEntityTypeCode:                 20,
	models.MessageEntityTypeTextLink:             49,
	models.MessageEntityTypeTextMention:          49,
	models.MessageEntityTypeBold:                 90,
	models.MessageEntityTypeItalic:               91,
	models.MessageEntityTypeUnderline:            92,
	models.MessageEntityTypeStrikethrough:        93,
	models.MessageEntityTypeSpoiler:              94,
	models.MessageEntityTypeCustomEmoji:          99,
}

// decodeHTMLEntity decodes the character reference at src[pos] == '&'. Like
// Telegram it knows &lt; &gt; &amp; &quot; and numeric references; anything
// else is not a reference (ok is false) and stays in the text as it is.
func decodeHTMLEntity(src string, pos int) (r rune, next int, ok bool, err error) {
	at := func(i int) byte {
		if i < len(src) {
			return src[i]
		}
		return 0
	}
	end := pos + 1
	if at(end) == '#' {
		end++
		var code int64
		if at(end) == 'x' {
			end++
			for isHexDigit(at(end)) {
				d, _ := strconv.ParseInt(string(at(end)), 16, 64)
				code = code*16 + d
				end++
				if code > 0x10ffff {
					code = 0x10ffff
				}
			}
		} else {
			for at(end) >= '0' && at(end) <= '9' {
				code = code*10 + int64(at(end)-'0')
				end++
				if code > 0x10ffff {
					code = 0x10ffff
				}
			}
		}
		if code == 0 || code >= 0x10ffff || end-pos >= 10 {
			return 0, 0, false, nil
		}
		if code >= 0xd800 && code <= 0xdfff {
			return 0, 0, false, fmt.Errorf("Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units")
		}
		r = rune(code)
	} else {
		for isASCIILetter(at(end)) {
			end++
		}
		switch src[pos+1 : end] {
		case "lt":
			r = '<'
		case "gt":
			r = '>'
		case "amp":
			r = '&'
		case "quot":
			r = '"'
		default:
			return 0, 0, false, nil
		}
	}
	if at(end) == ';' {
		end++
	}
	return r, end, true, nil
}

// checkedLink is the URL a text link points to, or "" when Telegram would
// drop the link.
func checkedLink(link string) string {
	link = strings.TrimSpace(link)
	if link == "" || strings.ContainsAny(link, " \n\t") {
		return ""
	}
	if !strings.Contains(link, "://") {
		if !strings.Contains(link, ".") {
			return ""
		}
		link = "http://" + link
	}
	u, err := url.Parse(link)
	if err != nil || u.Scheme == "" {
		return ""
	}
	switch u.Scheme {
	case "http", "https", "tg", "ton":
		return link
	}
	return ""
}

// checkMarkdownV2 finds the errors Telegram reports most often for
// MarkdownV2: a reserved character left unescaped outside code, and an
// unclosed code or pre block. It is not a full MarkdownV2 parser.
func checkMarkdownV2(src string) error {
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\\':
			i++
		case strings.HasPrefix(src[i:], "```"):
			end := strings.Index(src[i+3:], "```")
			if end < 0 {
				return fmt.Errorf("Can't find end of Pre entity at byte offset %d", i)
			}
			i += 3 + end + 2
		case c == '`':
			end := strings.IndexByte(src[i+1:], '`')
			if end < 0 {
				return fmt.Errorf("Can't find end of Code entity at byte offset %d", i)
			}
			i += 1 + end
		case strings.IndexByte("#+-={}.", c) >= 0, c == '!' && (i+1 >= len(src) || src[i+1] != '['):
			return fmt.Errorf("Character '%c' is reserved and must be escaped with the preceding '\\'", c)
		}
	}
	return nil
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isASCIIAlnum(c byte) bool { return isASCIILetter(c) || c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// markup is a parsed reply_markup.
type markup struct {
	inline [][]models.InlineKeyboardButton // nil when there is no inline keyboard
	reply  [][]string                      // labels of a reply keyboard
	remove bool                            // remove_keyboard
}

// parseMarkup parses and checks a reply_markup parameter as Telegram does.
func parseMarkup(raw string) (markup, error) {
	var m markup
	if strings.TrimSpace(raw) == "" {
		return m, nil
	}
	var v struct {
		InlineKeyboard *[][]models.InlineKeyboardButton `json:"inline_keyboard"`
		Keyboard       *[][]json.RawMessage             `json:"keyboard"`
		RemoveKeyboard bool                             `json:"remove_keyboard"`
		ForceReply     bool                             `json:"force_reply"`
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return m, badRequest("can't parse reply keyboard markup JSON object")
	}
	switch {
	case v.InlineKeyboard != nil:
		m.inline = *v.InlineKeyboard
		if m.inline == nil {
			m.inline = [][]models.InlineKeyboardButton{}
		}
		for _, row := range m.inline {
			for _, b := range row {
				if err := checkInlineButton(b); err != nil {
					return m, err
				}
			}
		}
	case v.Keyboard != nil:
		for _, row := range *v.Keyboard {
			var labels []string
			for _, raw := range row {
				var b struct {
					Text string `json:"text"`
				}
				if json.Unmarshal(raw, &b.Text) != nil && json.Unmarshal(raw, &b) != nil {
					return m, badRequest("can't parse keyboard button")
				}
				labels = append(labels, b.Text)
			}
			m.reply = append(m.reply, labels)
		}
	case v.RemoveKeyboard, v.ForceReply:
		m.remove = v.RemoveKeyboard
	default:
		return m, badRequest("can't parse reply keyboard markup JSON object")
	}
	return m, nil
}

func checkInlineButton(b models.InlineKeyboardButton) error {
	if len(b.CallbackData) > maxCallbackData {
		return badRequest("BUTTON_DATA_INVALID")
	}
	if b.URL != "" && checkedLink(b.URL) == "" {
		return badRequest("BUTTON_URL_INVALID")
	}
	if b.URL == "" && b.CallbackData == "" && b.WebApp == nil && b.LoginURL == nil &&
		b.SwitchInlineQuery == "" && b.SwitchInlineQueryCurrentChat == "" &&
		b.SwitchInlineQueryChosenChat == nil && b.CopyText.Text == "" && b.CallbackGame == nil && !b.Pay {
		return badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	return nil
}

// buttons is an inline keyboard as Messages shows it.
func buttons(kb [][]models.InlineKeyboardButton) [][]Button {
	if len(kb) == 0 {
		return nil
	}
	rows := make([][]Button, len(kb))
	for i, row := range kb {
		for _, b := range row {
			rows[i] = append(rows[i], Button{Text: b.Text, CallbackData: b.CallbackData, URL: b.URL})
		}
	}
	return rows
}

// sameKeyboard reports whether two inline keyboards are the same; no keyboard
// and an empty one are.
func sameKeyboard(a, b [][]models.InlineKeyboardButton) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == 0 && len(b) == 0
	}
	return slices.EqualFunc(a, b, func(x, y []models.InlineKeyboardButton) bool {
		return slices.EqualFunc(x, y, func(p, q models.InlineKeyboardButton) bool {
			pj, _ := json.Marshal(p)
			qj, _ := json.Marshal(q)
			return string(pj) == string(qj)
		})
	})
}

// commandEntity is the bot_command entity Telegram puts on a text that
// starts with "/".
func commandEntity(text string) []models.MessageEntity {
	if !strings.HasPrefix(text, "/") {
		return nil
	}
	word, _, _ := strings.Cut(text, " ")
	word, _, _ = strings.Cut(word, "\n")
	return []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: utf16Len(word)}}
}
