//! A reader for the pickle subset that TorchScript writes into `data.pkl`.
//!
//! libtorch's C++ pickler (protocol 2) writes the root module's state as a
//! `NEWOBJ` of the module class followed by a `BUILD` with a dict of
//! attribute name → value. Values are `None`, bools, ints, floats, strings,
//! tuples, lists and dicts (typed lists come wrapped in
//! `torch.jit._pickle.restore_type_tag(value, "List[str]")`), nested module
//! objects, and tensors: `torch._utils._rebuild_tensor_v2(storage, offset,
//! size, stride, …)` whose storage is a persistent id
//! `("storage", torch.LongStorage, key, location, numel)` naming the file
//! `data/<key>` beside `data.pkl`.
//!
//! Only that subset is understood; nothing is ever executed. An unknown
//! opcode is an error naming its byte offset, so a file from a future
//! pickler fails clearly instead of being misread.
//!
//! NOTE: values are plain owned data, not shared references. A container
//! memoised before it is filled (Python's own pickler does that) has its memo
//! entry refreshed after every change, so later references see it whole.

use std::fmt;

/// One unpickled value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Python's `None`.
    None,
    /// A bool.
    Bool(bool),
    /// An int, 64-bit.
    Int(i64),
    /// A float (64-bit).
    Float(f64),
    /// A text (UTF-8).
    Str(String),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A list (typed lists are unwrapped from their type tag).
    List(Vec<Value>),
    /// A dict, its entries in pickle order.
    Dict(Vec<(Value, Value)>),
    /// A `module.name` reference (class or function); never called.
    Global(String),
    /// An instance: its class and the state given by `BUILD`.
    Object {
        /// `module.Class`, as the pickle names it.
        class: String,
        /// What `BUILD` gave it (a dict of attribute name → value for modules).
        state: Box<Value>,
    },
    /// A persistent id for a tensor storage.
    Storage(StorageRef),
    /// A tensor view of a storage.
    Tensor(TensorRef),
    /// Any other `callable(*args)` kept as data.
    Call {
        /// `module.function`, as the pickle names it.
        callable: String,
        /// Its arguments (a tuple).
        args: Box<Value>,
    },
}

/// Element type of a storage, from its class name (`torch.LongStorage`…).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    /// 32-bit float (`FloatStorage`).
    F32,
    /// 64-bit float (`DoubleStorage`).
    F64,
    /// 16-bit IEEE float (`HalfStorage`).
    F16,
    /// bfloat16 (`BFloat16Storage`).
    BF16,
    /// 64-bit integer (`LongStorage`).
    I64,
    /// 32-bit integer (`IntStorage`).
    I32,
    /// 16-bit integer (`ShortStorage`).
    I16,
    /// 8-bit signed integer (`CharStorage`).
    I8,
    /// 8-bit unsigned integer (`ByteStorage`).
    U8,
    /// One byte per bool (`BoolStorage`).
    Bool,
}

impl DType {
    fn from_storage_class(class: &str) -> Option<DType> {
        let name = class.rsplit(['.', ' ']).next().unwrap_or(class);
        Some(match name {
            "FloatStorage" => DType::F32,
            "DoubleStorage" => DType::F64,
            "HalfStorage" => DType::F16,
            "BFloat16Storage" => DType::BF16,
            "LongStorage" => DType::I64,
            "IntStorage" => DType::I32,
            "ShortStorage" => DType::I16,
            "CharStorage" => DType::I8,
            "ByteStorage" => DType::U8,
            "BoolStorage" => DType::Bool,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::F64 | DType::I64 => 8,
            DType::F32 | DType::I32 => 4,
            DType::F16 | DType::BF16 | DType::I16 => 2,
            DType::I8 | DType::U8 | DType::Bool => 1,
        }
    }
}

/// Where a storage's bytes are: `data/<key>` in the archive.
#[derive(Clone, Debug, PartialEq)]
pub struct StorageRef {
    /// The file's name under `data/`.
    pub key: String,
    /// Its element type.
    pub dtype: DType,
    /// How many elements it holds.
    pub numel: usize,
}

/// A tensor as the pickle describes it (the bytes stay in the archive).
#[derive(Clone, Debug, PartialEq)]
pub struct TensorRef {
    /// The storage the tensor views.
    pub storage: StorageRef,
    /// Its first element's index in the storage, in elements (not bytes).
    pub offset: usize,
    /// Size of each dimension.
    pub shape: Vec<usize>,
    /// Step between neighbours along each dimension, in elements.
    pub stride: Vec<usize>,
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A list or tuple of strings.
    pub fn as_strings(&self) -> Option<Vec<String>> {
        match self {
            Value::List(items) | Value::Tuple(items) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => None,
        }
    }

    /// The entries of a dict, or of an object's dict state.
    pub fn entries(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Dict(entries) => Some(entries),
            Value::Object { state, .. } => state.entries(),
            _ => None,
        }
    }

    /// The value stored under a string key of a dict or object state.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }
}

/// Why a pickle could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickleError {
    /// Byte offset in `data.pkl` where reading failed.
    pub offset: usize,
    /// What went wrong there (an unknown opcode, a truncated value…).
    pub message: String,
}

impl fmt::Display for PickleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pickle byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for PickleError {}

enum Item {
    Mark,
    /// A value, and the memo slot it was stored under (if any).
    Value(Value, Option<usize>),
}

/// The deepest nesting of lists, tuples, dicts and objects loam reads from a
/// pickle. TorchScript state nests one level per submodule plus a few; the
/// limit keeps cloning and dropping (which recurse) far from the stack's end.
pub const MAX_NESTING: usize = 100;

/// The most value parts (each list, string, number… counts one) a pickle may
/// copy out of its memo in total. Values here are owned, so every GET is a
/// copy; without a budget, 40 GETs of doubling lists would ask for 2^40 parts
/// from a 400-byte file.
pub const MAX_COPIED_VALUES: usize = 1 << 21;

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Item>,
    /// Memo slots by index: a map, so a sparse index costs one entry.
    memo: std::collections::HashMap<usize, Value>,
    /// Parts copied out of (or into) the memo so far.
    copied: usize,
}

/// Reads one pickled value from `data`.
pub fn read(data: &[u8]) -> Result<Value, PickleError> {
    let mut reader = Reader {
        data,
        pos: 0,
        stack: Vec::new(),
        memo: std::collections::HashMap::new(),
        copied: 0,
    };
    reader.run()
}

impl<'a> Reader<'a> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, PickleError> {
        Err(PickleError {
            offset: self.pos,
            message: message.into(),
        })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        // NOTE: `n` comes from the file (up to 2^64); compare without adding.
        if n > self.data.len() - self.pos {
            return self.err("unexpected end of data");
        }
        let bytes = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, PickleError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<usize, PickleError> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_le_bytes([b[0], b[1]])))
    }

    fn u32(&mut self) -> Result<u32, PickleError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, PickleError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn line(&mut self) -> Result<String, PickleError> {
        let rest = &self.data[self.pos..];
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            return self.err("unterminated text line");
        };
        let text = String::from_utf8_lossy(&rest[..end]).into_owned();
        self.pos += end + 1;
        Ok(text)
    }

    fn string(&mut self, n: usize) -> Result<Value, PickleError> {
        let bytes = self.take(n)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Value::Str(s.to_owned())),
            Err(_) => self.err("string is not UTF-8"),
        }
    }

    fn push(&mut self, v: Value) -> Result<(), PickleError> {
        self.check_nesting(&v, 0)?;
        self.stack.push(Item::Value(v, None));
        Ok(())
    }

    /// Refuses a value nested deeper than [`MAX_NESTING`] (`extra` levels
    /// above it are about to be added). Every value on the stack already
    /// passed this check, so the walk itself is at most that deep.
    fn check_nesting(&self, v: &Value, extra: usize) -> Result<(), PickleError> {
        if nesting(v, MAX_NESTING + 1) + extra > MAX_NESTING {
            return self.err(format!(
                "values nested more than {MAX_NESTING} deep (the most loam reads)"
            ));
        }
        Ok(())
    }

    /// Counts `v`'s parts against [`MAX_COPIED_VALUES`] before it is copied.
    fn charge_copy(&mut self, v: &Value) -> Result<(), PickleError> {
        let left = MAX_COPIED_VALUES - self.copied;
        let parts = count_parts(v, left + 1);
        if parts > left {
            return self.err(format!(
                "memoised values copied more than {MAX_COPIED_VALUES} times over (a pickle that multiplies itself)"
            ));
        }
        self.copied += parts;
        Ok(())
    }

    fn pop(&mut self) -> Result<Value, PickleError> {
        match self.stack.pop() {
            Some(Item::Value(v, _)) => Ok(v),
            Some(Item::Mark) => self.err("unexpected mark"),
            None => self.err("stack underflow"),
        }
    }

    fn top(&mut self) -> Result<&mut Value, PickleError> {
        let pos = self.pos;
        match self.stack.last_mut() {
            Some(Item::Value(v, _)) => Ok(v),
            _ => Err(PickleError {
                offset: pos,
                message: "no value on the stack".into(),
            }),
        }
    }

    /// Pops everything above the topmost mark (and the mark).
    fn pop_mark(&mut self) -> Result<Vec<Value>, PickleError> {
        let Some(mark) = self.stack.iter().rposition(|i| matches!(i, Item::Mark)) else {
            return self.err("no mark on the stack");
        };
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        Ok(items
            .into_iter()
            .map(|i| match i {
                Item::Value(v, _) => v,
                Item::Mark => Value::None,
            })
            .collect())
    }

    fn memo_put(&mut self, index: usize) -> Result<(), PickleError> {
        // Every PUT takes at least two bytes, so a real pickle never needs a
        // memo slot past its own length; a LONG_BINPUT of 4294967295 would
        // otherwise resize the memo to 4 G slots.
        if index >= self.data.len() {
            return self.err(format!(
                "memo slot {index} is past the end of a {}-byte pickle",
                self.data.len()
            ));
        }
        let top = self.top()?.clone();
        self.charge_copy(&top)?;
        self.memo.insert(index, top);
        if let Some(Item::Value(_, slot)) = self.stack.last_mut() {
            *slot = Some(index);
        }
        Ok(())
    }

    /// After the top value changed in place, its memo copy follows.
    fn refresh_memo(&mut self) -> Result<(), PickleError> {
        if let Some(Item::Value(v, Some(index))) = self.stack.last() {
            let (v, index) = (v.clone(), *index);
            self.charge_copy(&v)?;
            self.memo.insert(index, v);
        }
        Ok(())
    }

    fn memo_get(&mut self, index: usize) -> Result<(), PickleError> {
        let Some(v) = self.memo.get(&index) else {
            return self.err(format!("memo entry {index} is missing"));
        };
        // Charged before the copy is made: each GET of a list holding two
        // GETs of the one before doubles the data.
        let parts = count_parts(v, MAX_COPIED_VALUES + 1);
        if parts > MAX_COPIED_VALUES - self.copied {
            return self.err(format!(
                "memoised values copied more than {MAX_COPIED_VALUES} times over (a pickle that multiplies itself)"
            ));
        }
        self.copied += parts;
        let v = v.clone();
        self.push(v)
    }

    fn run(&mut self) -> Result<Value, PickleError> {
        loop {
            let op = self.u8()?;
            match op {
                0x80 => {
                    let proto = self.u8()?;
                    if proto > 5 {
                        return self.err(format!("pickle protocol {proto} is not supported"));
                    }
                }
                0x95 => {
                    self.u64()?; // FRAME: a length hint only.
                }
                b'.' => return self.pop(),
                b'(' => self.stack.push(Item::Mark),
                b'N' => self.push(Value::None)?,
                0x88 => self.push(Value::Bool(true))?,
                0x89 => self.push(Value::Bool(false))?,
                b'J' => {
                    let v = self.u32()? as i32;
                    self.push(Value::Int(i64::from(v)))?;
                }
                b'K' => {
                    let v = self.u8()?;
                    self.push(Value::Int(i64::from(v)))?;
                }
                b'M' => {
                    let v = self.u16()?;
                    self.push(Value::Int(v as i64))?;
                }
                0x8a => {
                    let n = usize::from(self.u8()?);
                    let bytes = self.take(n)?;
                    if n > 8 {
                        return self.err("integer wider than 64 bits");
                    }
                    let mut v: i64 = 0;
                    for (i, b) in bytes.iter().enumerate() {
                        v |= i64::from(*b) << (8 * i);
                    }
                    if n > 0 && n < 8 && bytes[n - 1] & 0x80 != 0 {
                        v -= 1i64 << (8 * n);
                    }
                    self.push(Value::Int(v))?;
                }
                b'G' => {
                    let bits = self.u64()?.swap_bytes(); // big-endian on the wire
                    self.push(Value::Float(f64::from_bits(bits)))?;
                }
                b'X' => {
                    let n = self.u32()? as usize;
                    let v = self.string(n)?;
                    self.push(v)?;
                }
                0x8c => {
                    let n = usize::from(self.u8()?);
                    let v = self.string(n)?;
                    self.push(v)?;
                }
                0x8d => {
                    let n = self.u64()? as usize;
                    let v = self.string(n)?;
                    self.push(v)?;
                }
                b'B' => {
                    let n = self.u32()? as usize;
                    let v = self.take(n)?.to_vec();
                    self.push(Value::Bytes(v))?;
                }
                b'C' => {
                    let n = usize::from(self.u8()?);
                    let v = self.take(n)?.to_vec();
                    self.push(Value::Bytes(v))?;
                }
                b')' => self.push(Value::Tuple(Vec::new()))?,
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Value::Tuple(items))?;
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    if self.stack.len() < n {
                        return self.err("stack underflow");
                    }
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    self.push(Value::Tuple(items))?;
                }
                b']' => self.push(Value::List(Vec::new()))?,
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push(Value::List(items))?;
                }
                b'a' => {
                    let v = self.pop()?;
                    self.check_nesting(&v, 1)?;
                    match self.top()? {
                        Value::List(items) => items.push(v),
                        _ => return self.err("APPEND to a non-list"),
                    }
                    self.refresh_memo()?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    for v in &items {
                        self.check_nesting(v, 1)?;
                    }
                    match self.top()? {
                        Value::List(list) => list.extend(items),
                        _ => return self.err("APPENDS to a non-list"),
                    }
                    self.refresh_memo()?;
                }
                b'}' => self.push(Value::Dict(Vec::new()))?,
                b'd' => {
                    let items = self.pop_mark()?;
                    let dict = pairs(items);
                    self.push(Value::Dict(dict))?;
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    self.check_nesting(&k, 1)?;
                    self.check_nesting(&v, 1)?;
                    match self.top()? {
                        Value::Dict(d) => d.push((k, v)),
                        _ => return self.err("SETITEM on a non-dict"),
                    }
                    self.refresh_memo()?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    for v in &items {
                        self.check_nesting(v, 1)?;
                    }
                    match self.top()? {
                        Value::Dict(d) => d.extend(pairs(items)),
                        _ => return self.err("SETITEMS on a non-dict"),
                    }
                    self.refresh_memo()?;
                }
                b'q' => {
                    let i = usize::from(self.u8()?);
                    self.memo_put(i)?;
                }
                b'r' => {
                    let i = self.u32()? as usize;
                    self.memo_put(i)?;
                }
                0x94 => {
                    let i = self.memo.len();
                    self.memo_put(i)?;
                }
                b'h' => {
                    let i = usize::from(self.u8()?);
                    self.memo_get(i)?;
                }
                b'j' => {
                    let i = self.u32()? as usize;
                    self.memo_get(i)?;
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.push(Value::Global(format!("{module}.{name}")))?;
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    match (module, name) {
                        (Value::Str(m), Value::Str(n)) => {
                            self.push(Value::Global(format!("{m}.{n}")))?
                        }
                        _ => return self.err("STACK_GLOBAL needs two strings"),
                    }
                }
                0x81 => {
                    let _args = self.pop()?;
                    let class = self.pop()?;
                    let Value::Global(class) = class else {
                        return self.err("NEWOBJ of a non-class");
                    };
                    self.push(Value::Object {
                        class,
                        state: Box::new(Value::None),
                    })?;
                }
                b'b' => {
                    let new_state = self.pop()?;
                    self.check_nesting(&new_state, 1)?;
                    match self.top()? {
                        Value::Object { state, .. } => **state = new_state,
                        _ => return self.err("BUILD on a non-object"),
                    }
                    self.refresh_memo()?;
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let Value::Global(callable) = callable else {
                        return self.err("REDUCE of a non-global");
                    };
                    let v = self.reduce(callable, args)?;
                    self.push(v)?;
                }
                b'Q' => {
                    let pid = self.pop()?;
                    let v = self.storage(pid)?;
                    self.push(v)?;
                }
                other => return self.err(format!("unsupported pickle opcode 0x{other:02x}")),
            }
        }
    }

    fn reduce(&self, callable: String, args: Value) -> Result<Value, PickleError> {
        let Value::Tuple(mut items) = args else {
            return self.err(format!("{callable}: arguments are not a tuple"));
        };
        match callable.as_str() {
            "torch.jit._pickle.restore_type_tag" if !items.is_empty() => Ok(items.swap_remove(0)),
            "collections.OrderedDict" => Ok(Value::Dict(Vec::new())),
            "torch._utils._rebuild_tensor_v2" | "torch._utils._rebuild_tensor"
                if items.len() >= 4 =>
            {
                let Value::Storage(storage) = items[0].clone() else {
                    return self.err("tensor without a storage");
                };
                let offset = int(&items[1])
                    .ok_or(())
                    .or_else(|_| self.err("tensor offset"))?;
                let shape = ints(&items[2])
                    .ok_or(())
                    .or_else(|_| self.err("tensor size"))?;
                let stride = ints(&items[3])
                    .ok_or(())
                    .or_else(|_| self.err("tensor stride"))?;
                Ok(Value::Tensor(TensorRef {
                    storage,
                    offset,
                    shape,
                    stride,
                }))
            }
            _ => Ok(Value::Call {
                callable,
                args: Box::new(Value::Tuple(items)),
            }),
        }
    }

    fn storage(&self, pid: Value) -> Result<Value, PickleError> {
        let Value::Tuple(items) = pid else {
            return self.err("persistent id is not a tuple");
        };
        match items.as_slice() {
            [Value::Str(kind), Value::Global(class), Value::Str(key), _location, numel, ..]
                if kind == "storage" =>
            {
                let Some(dtype) = DType::from_storage_class(class) else {
                    return self.err(format!("unknown storage type {class}"));
                };
                let numel = int(numel).ok_or(()).or_else(|_| self.err("storage size"))?;
                Ok(Value::Storage(StorageRef {
                    key: key.clone(),
                    dtype,
                    numel,
                }))
            }
            _ => self.err("persistent id is not a tensor storage"),
        }
    }
}

/// The children of a container value.
fn children(v: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match v {
        Value::Tuple(items) | Value::List(items) => Box::new(items.iter()),
        Value::Dict(entries) => Box::new(entries.iter().flat_map(|(k, v)| [k, v])),
        Value::Object { state, .. } => Box::new(std::iter::once(state.as_ref())),
        Value::Call { args, .. } => Box::new(std::iter::once(args.as_ref())),
        _ => Box::new(std::iter::empty()),
    }
}

/// How deep `v` nests (a scalar is 0), counting no further than `limit`.
fn nesting(v: &Value, limit: usize) -> usize {
    let mut deepest = 0;
    for child in children(v) {
        if limit == 0 {
            return 1;
        }
        deepest = deepest.max(1 + nesting(child, limit - 1));
        if deepest >= limit {
            return deepest;
        }
    }
    deepest
}

/// How many parts `v` has (itself included), counting no further than `limit`.
fn count_parts(v: &Value, limit: usize) -> usize {
    let mut n = 1;
    for child in children(v) {
        if n >= limit {
            break;
        }
        n += count_parts(child, limit - n);
    }
    n
}

fn pairs(items: Vec<Value>) -> Vec<(Value, Value)> {
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    out
}

fn int(v: &Value) -> Option<usize> {
    match v {
        Value::Int(i) => usize::try_from(*i).ok(),
        _ => None,
    }
}

fn ints(v: &Value) -> Option<Vec<usize>> {
    match v {
        Value::Tuple(items) | Value::List(items) => items.iter().map(int).collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_small_protocol_2_pickle() {
        // pickle.dumps({"a": [1, 2.5, "x"], "b": (True, None)}, protocol=2)
        let data = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00xq\x03eX\x01\x00\x00\x00bq\x04\x88N\x86q\x05u.";
        let v = read(data).unwrap();
        assert_eq!(
            v.get("a"),
            Some(&Value::List(vec![
                Value::Int(1),
                Value::Float(2.5),
                Value::Str("x".into())
            ]))
        );
        assert_eq!(
            v.get("b"),
            Some(&Value::Tuple(vec![Value::Bool(true), Value::None]))
        );
    }

    #[test]
    fn unknown_opcodes_and_truncation_are_errors() {
        assert!(read(b"\x80\x02\xff").unwrap_err().message.contains("0xff"));
        assert!(read(b"\x80\x02X\x10\x00\x00\x00ab")
            .unwrap_err()
            .message
            .contains("end of data"));
    }

    #[test]
    fn negative_integers() {
        // pickle.dumps(-300, protocol=2) and pickle.dumps(-2**40, protocol=2)
        assert_eq!(
            read(b"\x80\x02J\xd4\xfe\xff\xff.").unwrap(),
            Value::Int(-300)
        );
        assert_eq!(
            read(b"\x80\x02\x8a\x06\x00\x00\x00\x00\x00\xff.").unwrap(),
            Value::Int(-(1 << 40))
        );
    }

    #[test]
    fn claimed_lengths_past_the_end_are_errors_not_overflows() {
        // SHORT_BINUNICODE8 claiming 2^64 - 1 bytes.
        let e = read(b"\x80\x02\x8d\xff\xff\xff\xff\xff\xff\xff\xffab.").unwrap_err();
        assert!(e.message.contains("end of data"), "{e}");
        // BINBYTES claiming 4 GiB.
        let e = read(b"\x80\x02B\xff\xff\xff\xffab.").unwrap_err();
        assert!(e.message.contains("end of data"), "{e}");
    }

    #[test]
    fn a_memo_slot_past_the_pickle_is_refused_before_the_memo_grows() {
        // LONG_BINPUT 4294967295 would resize the memo to 4 G slots.
        let e = read(b"\x80\x02Nr\xff\xff\xff\xff.").unwrap_err();
        assert!(e.message.contains("memo slot 4294967295"), "{e}");
        // Slot 3 in a short pickle is fine.
        assert_eq!(read(b"\x80\x02Nq\x03.").unwrap(), Value::None);
    }

    #[test]
    fn a_pickle_that_doubles_itself_is_refused() {
        // l0 = [None]; l(k+1) = [l(k), l(k)] via GET, 40 times: 2^40 parts.
        let mut data = b"\x80\x02]q\x00Na".to_vec();
        for k in 0u8..40 {
            data.extend_from_slice(&[b'h', k, b'h', k, 0x86, b'q', k + 1]);
        }
        data.push(b'.');
        let e = read(&data).unwrap_err();
        assert!(e.message.contains(&MAX_COPIED_VALUES.to_string()), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_before_it_can_overflow_the_stack() {
        // 100 000 empty lists, each appended into the one below.
        let mut data = b"\x80\x02".to_vec();
        data.extend(std::iter::repeat_n(b']', 100_000));
        data.extend(std::iter::repeat_n(b'a', 99_999));
        data.push(b'.');
        let e = read(&data).unwrap_err();
        assert!(e.message.contains("nested more than 100"), "{e}");
        // Tuples built with MARK/TUPLE nest the same way.
        let mut data = b"\x80\x02".to_vec();
        data.extend(std::iter::repeat_n(b'(', 200));
        data.push(b'N');
        data.extend(std::iter::repeat_n(b't', 200));
        data.push(b'.');
        assert!(read(&data)
            .unwrap_err()
            .message
            .contains("nested more than"));
        // 50 levels read fine.
        let mut data = b"\x80\x02".to_vec();
        data.extend(std::iter::repeat_n(b']', 50));
        data.extend(std::iter::repeat_n(b'a', 49));
        data.push(b'.');
        assert!(read(&data).is_ok());
    }

    #[test]
    fn a_list_memoised_before_it_is_filled_is_seen_whole() {
        // l = [1, 2]; pickle.dumps((l, l), protocol=2)
        let data = b"\x80\x02]q\x00(K\x01K\x02eh\x00\x86q\x01.";
        let list = Value::List(vec![Value::Int(1), Value::Int(2)]);
        assert_eq!(read(data).unwrap(), Value::Tuple(vec![list.clone(), list]));
    }
}
