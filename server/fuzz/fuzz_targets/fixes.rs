//! Every fix on arbitrary input: each finding's fix applied alone (`fix::apply_edits`) and
//! `fix::fix_all` with the unsafe fixes, with no build context and with one on disk. The edits
//! apply, the output has no syntax error the input did not have, and every line the edits do not
//! touch is kept, in order.
#![no_main]

use layerwise::model::context::{BuildContext, NoContext};
use layerwise::rules::Config;
use layerwise_fuzz::{context_dirs, fs_context, invariants, text_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let tree = layerwise::syntax::parse(&text);
    let config = Config::default();
    let [(bare, bare_file), (ignored, ignored_file)] = context_dirs();
    let bare_context = fs_context(bare);
    let ignored_context = fs_context(ignored);
    let contexts: [(&dyn BuildContext, Option<&std::path::Path>); 3] = [
        (&NoContext, None),
        (&bare_context, Some(bare_file.as_path())),
        (&ignored_context, Some(ignored_file.as_path())),
    ];
    for (context, path) in contexts {
        let run = invariants::analysis(&text, &tree, context, path, &config)
            .and_then(|diagnostics| invariants::each_fix(&text, &tree, &diagnostics))
            .and_then(|()| invariants::all_fixes(&text, &tree, context, path, &config).map(drop));
        if let Err(e) = run {
            panic!("context {:?}: {e}\ninput: {text:?}", context.root());
        }
    }
});
