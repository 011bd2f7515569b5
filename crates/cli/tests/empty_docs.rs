//! An empty leading document of a multi-document YAML file: sops writes it
//! as a bare `sops:` block and prints it as `{}`; so does hush, which then
//! reads two documents where it read one.

mod common;

use common::*;

const EDITOR: &str = "sed -i s/^a:.*/a:\\ 2/";

#[test]
fn an_empty_leading_document_decrypts_as_sops_prints_it() {
    let ctx = Ctx::new();
    for (i, plain) in [
        "---\n---\na: 1\n",
        "{}\n---\na: 1\n",
        "---\n{}\n---\na: 1\n",
    ]
    .into_iter()
    .enumerate()
    {
        ctx.write("p.yaml", plain);
        let file = format!("s{i}.yaml");
        ctx.write(&file, &ctx.sops_encrypt("p.yaml", &[]));
        let want = ctx.sops_decrypt(&file, &[]);
        assert_eq!(ctx.hush_decrypt(&file, &[]), want, "{plain:?}");
        // An edit of the second document keeps two documents.
        let out = ctx.run_with(
            &hush_bin(),
            ["edit", &file],
            Some(&ctx.key_file),
            &[("EDITOR", EDITOR)],
            None,
        );
        expect_ok("hush edit", &out);
        let want = want.replace("a: 1", "a: 2");
        assert_eq!(ctx.sops_decrypt(&file, &[]), want, "{plain:?}");
        assert_eq!(ctx.hush_decrypt(&file, &[]), want, "{plain:?}");
        // hush's own file decrypts to its bytes, and as sops's in sops.
        let mine = format!("h{i}.yaml");
        ctx.write(&mine, &ctx.hush_encrypt("p.yaml", &[]));
        assert_eq!(ctx.hush_decrypt(&mine, &[]), plain);
        assert_eq!(ctx.sops_decrypt(&mine, &[]), want.replace("a: 2", "a: 1"));
    }
}
