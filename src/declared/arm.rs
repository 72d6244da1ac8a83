use super::Declaration;

pub(super) fn read(_path: &str, _text: &str) -> Vec<Declaration> {
    Vec::new()
}
