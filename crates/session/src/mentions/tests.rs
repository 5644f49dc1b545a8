use super::*;
use proptest::prelude::*;

#[test]
fn listed_texts_mention_or_not() {
    let cases = [
        ("@ann hi", "ann", true),
        ("hi @Ann", "ann", true),
        ("hi @ANN!", "Ann", true),
        ("(@ann)", "ann", true),
        ("@ann, @bob", "bob", true),
        ("@anna hi", "ann", false),
        ("@ann_b", "ann", false),
        ("@ann2", "ann", false),
        ("ann@example.com", "example.com", false),
        ("mail ann@example.com", "example", false),
        ("a.b@ann", "ann", false),
        ("@@ann", "ann", false),
        ("ann", "ann", false),
        ("@ an", "an", false),
        ("@Ann Lee, look", "Ann Lee", true),
        ("@ann lee", "Ann Lee", true),
        ("@Ann Leeward", "Ann Lee", false),
        ("@Ann", "Ann Lee", false),
        ("@민수 안녕", "민수", true),
        ("@민수님", "민수", true),
        ("@민수님 회의 시작해요", "민수", true),
        ("@민수씨가 올린 글", "민수", true),
        ("@민수에게 물어봐", "민수", true),
        ("@민수님께서 말씀하셨어요", "민수", true),
        ("@민수랑 같이", "민수", true),
        ("@민수진", "민수", false),
        ("@민수님들", "민수", false),
        ("@민수이랑은", "민수", false),
        ("@annie", "ann", false),
        ("@ann님", "ann", false),
        ("안녕@민수", "민수", false),
        ("@🙂ann yes", "🙂ann", true),
        ("@ann🙂", "ann", true),
        ("@ANN", "", false),
        ("@", "ann", false),
        ("@ann", "  ann  ", true),
        ("@İstanbul", "i̇stanbul", true),
        ("line\n@ann", "ann", true),
    ];
    for (text, name, expected) in cases {
        assert_eq!(mentions(text, name), expected, "{text:?} mentions {name:?}");
    }
}

#[test]
fn the_query_is_the_mention_being_typed_before_the_caret() {
    assert_eq!(mention_query("hi @an", 6), Some((3, "an")));
    assert_eq!(mention_query("@", 1), Some((0, "")));
    assert_eq!(mention_query("hi @Ann L", 9), Some((3, "Ann L")));
    assert_eq!(mention_query("hi @an there", 6), Some((3, "an")));
    assert_eq!(mention_query("@민", "@민".len()), Some((0, "민")));
    assert_eq!(mention_query("mail ann@ex", 11), None);
    assert_eq!(mention_query("@ an", 4), None);
    assert_eq!(mention_query("@an\nb", 5), None);
    assert_eq!(mention_query("no at", 5), None);
    // A caret inside a character is no caret.
    assert_eq!(mention_query("@민", 2), None);
    let long = format!("@{}", "a".repeat(MAX_NAME_BYTES + 1));
    assert_eq!(mention_query(&long, long.len()), None);
}

#[test]
fn suggestions_rank_name_starts_before_later_words_and_leave_out_me() {
    let members: Vec<String> = ["Bob", "anna", "Ann", "Lee Ann", "me", "ann", "Zed", "Ann"]
        .map(String::from)
        .into();
    assert_eq!(
        suggestions("an", &members, "me"),
        ["Ann", "ann", "anna", "Lee Ann"]
    );
    assert_eq!(suggestions("", &members, "me").len(), 6);
    assert!(!suggestions("", &members, "me").contains(&"me"));
    assert_eq!(suggestions("ZE", &members, "me"), ["Zed"]);
    assert!(suggestions("x", &members, "me").is_empty());
    let many: Vec<String> = (0..20).map(|i| format!("user{i}")).collect();
    assert_eq!(suggestions("user", &many, "me").len(), MOST_SUGGESTIONS);
}

/// Names as people choose them: letters of several scripts, digits, spaces inside, emoji.
fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9가-힣🙂_]{1,6}( [a-zA-Z가-힣🙂]{1,5})?"
}

/// Text around a mention: words, spaces and punctuation.
fn filler() -> impl Strategy<Value = String> {
    "[a-z가-힣 ,.!?()\n]{0,12}"
}

#[test]
fn people_who_spoke_and_left_can_be_mentioned_after_those_online() {
    let online = ["ann".to_owned(), "me".to_owned()];
    let authors = ["bob", "ann", "", "carol", "bob"];
    assert_eq!(
        mentionable(&online, authors.into_iter()),
        ["ann", "me", "bob", "carol"]
    );
}

#[test]
fn only_the_newest_messages_are_looked_through_for_authors() {
    let authors =
        (0..RECENT_AUTHORS_SCAN + 5).map(|i| if i < RECENT_AUTHORS_SCAN { "x" } else { "late" });
    assert_eq!(mentionable(&[], authors), ["x"]);
}

proptest! {
    #[test]
    fn an_at_name_between_non_word_text_mentions_the_name(
        name in name(),
        before in filler(),
        after in "([ ,!?()\n][a-z가-힣 ]{0,8})?",
    ) {
        // Text before ends in a non-word character (or is empty), as a mention needs.
        let before = if before.is_empty() { before } else { format!("{before} ") };
        let text = format!("{before}@{name}{after}");
        prop_assert!(mentions(&text, &name), "{:?} mentions {:?}", text, name);
        prop_assert!(mentions(&text.to_uppercase(), &name), "uppercase {:?}", text);
    }

    #[test]
    fn a_name_that_goes_on_is_another_name(name in name(), more in "[a-z가-힣0-9_]{1,3}") {
        let text = format!("@{name}{more}");
        prop_assert!(!mentions(&text, &name), "{:?} mentions {:?}", text, name);
    }

    #[test]
    fn an_at_inside_a_word_is_no_mention(name in name(), local in "[a-z0-9][a-z0-9.+-]{0,8}") {
        let text = format!("{local}@{name}");
        prop_assert!(!mentions(&text, &name), "{:?} mentions {:?}", text, name);
    }

    #[test]
    fn text_without_the_name_mentions_no_one(text in "[a-z @.,]{0,40}", name in "[가-힣]{1,6}") {
        prop_assert!(!mentions(&text, &name));
    }

    #[test]
    fn any_text_and_caret_give_an_at_query_or_none(text in "\\PC{0,30}", caret in 0usize..40) {
        if let Some((at, prefix)) = mention_query(&text, caret) {
            prop_assert_eq!(&text[at..at + 1], "@");
            prop_assert_eq!(at + 1 + prefix.len(), caret);
        }
    }

    #[test]
    fn every_suggestion_starts_with_the_prefix_at_some_word(
        members in proptest::collection::vec(name(), 0..12),
        prefix in "[a-z가-힣]{0,2}",
    ) {
        let offered = suggestions(&prefix, &members, "");
        prop_assert!(offered.len() <= MOST_SUGGESTIONS);
        let folded_prefix = prefix.to_lowercase();
        for name in &offered {
            let lower = name.to_lowercase();
            let at_a_word = lower.char_indices().any(|(i, c)| {
                !(c.is_alphanumeric() || c == '_')
                    && lower[i + c.len_utf8()..].starts_with(&folded_prefix)
            });
            prop_assert!(
                lower.starts_with(&folded_prefix) || at_a_word,
                "{:?} for {:?}", name, prefix
            );
        }
        // A typed full name is always offered when few members match (it may be crowded
        // out only by more than MOST_SUGGESTIONS names of its length or shorter).
        if let Some(first) = members.first() {
            let all = suggestions(first, &members, "");
            prop_assert!(all.len() == MOST_SUGGESTIONS || all.contains(&first.as_str()));
        }
    }
}
