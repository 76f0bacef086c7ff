//! LIST, CREATE, DELETE, RENAME and subscriptions over a real MH tree.

mod state_common;

use asimap::state::{MailboxInfo, StateError};
use state_common::{Tree, uid_subjects};

fn names(list: &[MailboxInfo]) -> Vec<&str> {
    list.iter().map(|m| m.name.as_str()).collect()
}

fn info<'a>(list: &'a [MailboxInfo], name: &str) -> &'a MailboxInfo {
    list.iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("{name} not listed"))
}

#[test]
fn list_puts_inbox_first_and_maps_its_subfolders() {
    let t = Tree::new();
    for f in ["+alpha", "+alpha/beta", "+inbox/sub", "+zeta"] {
        t.nmh("folder", &["-create", "-fast", f]);
    }
    let mut s = t.store();
    let list = s.list().unwrap();
    assert_eq!(
        names(&list),
        ["INBOX", "INBOX/sub", "alpha", "alpha/beta", "zeta"]
    );
    assert!(info(&list, "INBOX").has_children);
    assert!(info(&list, "alpha").has_children);
    assert!(!info(&list, "zeta").has_children);
    assert!(list.iter().all(|m| m.selectable));
    assert_eq!(
        s.folder_dir("inbox/sub").unwrap(),
        t.mail().join("inbox/sub")
    );
}

#[test]
fn create_checks_names_and_existence() {
    let t = Tree::new();
    let mut s = t.store();
    s.create("work/").unwrap();
    assert!(t.mail().join("work").is_dir());
    assert!(matches!(s.create("work"), Err(StateError::MailboxExists)));
    assert!(matches!(s.create("inbox"), Err(StateError::MailboxExists)));
    for bad in ["../x", "123", "a/.b", "/abs", "a//b"] {
        let err = s.create(bad).unwrap_err();
        assert!(matches!(err, StateError::BadName(_)), "{bad}: {err:?}");
    }
    assert!(matches!(s.sync("nosuch"), Err(StateError::NoMailbox)));
    // nmh can use what CREATE made.
    t.inc("work", &["m"]);
    assert_eq!(t.scan("work").len(), 1);
}

#[test]
fn inbox_is_created_on_first_use() {
    let t = Tree::new();
    std::fs::remove_dir(t.mail().join("inbox")).unwrap();
    let mut s = t.store();
    let sum = s.sync("INBOX").unwrap();
    assert_eq!(sum.exists, 0);
    assert!(t.mail().join("inbox").is_dir());
}

#[test]
fn delete_refuses_inbox_and_recreation_gets_a_new_uidvalidity() {
    let t = Tree::new();
    t.inc("old", &["a"]);
    let mut s = t.store();
    assert!(matches!(s.delete("INBOX"), Err(StateError::Refused(_))));
    assert!(matches!(s.delete("inbox"), Err(StateError::Refused(_))));
    assert!(matches!(s.delete("nosuch"), Err(StateError::NoMailbox)));
    let v1 = s.sync("old").unwrap().uidvalidity;
    s.set_subscribed("old", true).unwrap();
    s.delete("old").unwrap();
    assert!(!t.mail().join("old").exists());
    assert_eq!(
        s.subscriptions().unwrap(),
        ["old"],
        "DELETE does not unsubscribe"
    );
    s.create("old").unwrap();
    let again = s.sync("old").unwrap();
    assert!(again.uidvalidity > v1);
    assert_eq!((again.exists, again.uidnext), (0, 1));
}

#[test]
fn deleting_a_parent_leaves_a_noselect_name() {
    let t = Tree::new();
    t.inc("top", &["a"]);
    t.inc("top/child", &["b"]);
    let mut s = t.store();
    s.sync("top").unwrap();
    s.delete("top").unwrap();
    let list = s.list().unwrap();
    let top = info(&list, "top");
    assert!(!top.selectable && top.has_children);
    assert!(info(&list, "top/child").selectable);
    assert!(!t.mail().join("top/1").exists());
    assert!(matches!(s.sync("top"), Err(StateError::NoMailbox)));
    assert_eq!(uid_subjects(&mut s, "top/child").len(), 1);
    assert!(matches!(s.delete("top"), Err(StateError::Refused(_))));
    s.create("top").unwrap();
    assert!(info(&s.list().unwrap(), "top").selectable);
    assert_eq!(s.sync("top").unwrap().exists, 0);
}

#[test]
fn rename_moves_the_subtree_with_its_uids() {
    let t = Tree::new();
    t.inc("a", &["one", "two"]);
    t.inc("a/b", &["three"]);
    let mut s = t.store();
    let top = s.sync("a").unwrap();
    let sub = s.sync("a/b").unwrap();
    let top_uids = uid_subjects(&mut s, "a");
    let sub_uids = uid_subjects(&mut s, "a/b");
    s.rename("a", "x/y").unwrap();
    assert!(!t.mail().join("a").exists());
    assert_eq!(s.sync("x/y").unwrap().uidvalidity, top.uidvalidity);
    assert_eq!(s.sync("x/y/b").unwrap().uidvalidity, sub.uidvalidity);
    assert_eq!(uid_subjects(&mut s, "x/y"), top_uids);
    assert_eq!(uid_subjects(&mut s, "x/y/b"), sub_uids);
    assert!(matches!(s.sync("a"), Err(StateError::NoMailbox)));
    assert!(matches!(
        s.rename("x/y", "zzz/../q"),
        Err(StateError::BadName(_))
    ));
    assert!(matches!(
        s.rename("nosuch", "q"),
        Err(StateError::NoMailbox)
    ));
    s.create("q").unwrap();
    assert!(matches!(
        s.rename("x/y", "q"),
        Err(StateError::MailboxExists)
    ));
    assert!(matches!(
        s.rename("x/y", "INBOX"),
        Err(StateError::MailboxExists)
    ));
    // A folder later created under the old name is a new mailbox.
    s.create("a").unwrap();
    assert!(s.sync("a").unwrap().uidvalidity > sub.uidvalidity);
}

#[test]
fn rename_inbox_moves_the_messages_and_leaves_inbox_empty() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b"]);
    t.nmh("folder", &["-create", "-fast", "+inbox/sub"]);
    t.nmh("mark", &["+inbox", "2", "-sequence", "unseen", "-delete"]);
    let mut s = t.store();
    let before = s.sync("INBOX").unwrap();
    s.rename("INBOX", "archive").unwrap();
    let inbox = s.sync("INBOX").unwrap();
    assert_eq!(inbox.exists, 0);
    assert_eq!(inbox.uidvalidity, before.uidvalidity);
    assert!(inbox.highestmodseq > before.highestmodseq);
    assert!(
        t.mail().join("inbox/sub").is_dir(),
        "INBOX's subfolders stay"
    );
    let moved = uid_subjects(&mut s, "archive");
    let subjects: Vec<&str> = moved.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(subjects, ["a", "b"]);
    let rows = s.messages("archive").unwrap();
    assert_eq!(rows[0].flags, Vec::<String>::new());
    assert_eq!(rows[1].flags, ["\\Seen"]);
    assert_eq!(t.scan("archive").len(), 2);
}

#[test]
fn subscriptions_are_kept_by_imap_name() {
    let t = Tree::new();
    t.nmh("folder", &["-create", "-fast", "+lists"]);
    let mut s = t.store();
    s.set_subscribed("lists", true).unwrap();
    s.set_subscribed("inbox", true).unwrap();
    s.set_subscribed("lists", true).unwrap();
    assert_eq!(s.subscriptions().unwrap(), ["INBOX", "lists"]);
    s.set_subscribed("INBOX", false).unwrap();
    assert_eq!(s.subscriptions().unwrap(), ["lists"]);
    assert!(matches!(
        s.set_subscribed("../etc", true),
        Err(StateError::BadName(_))
    ));
    // Another session sees them.
    assert_eq!(t.store().subscriptions().unwrap(), ["lists"]);
}

#[test]
fn rename_inbox_into_its_own_subfolder() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b"]);
    let mut s = t.store();
    s.rename("INBOX", "INBOX/old").unwrap();
    assert_eq!(s.sync("INBOX").unwrap().exists, 0);
    let moved = uid_subjects(&mut s, "INBOX/old");
    assert_eq!(
        moved.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(info(&s.list().unwrap(), "INBOX").has_children);
    assert!(matches!(
        s.rename("INBOX", "INBOX/old"),
        Err(StateError::MailboxExists)
    ));
}
