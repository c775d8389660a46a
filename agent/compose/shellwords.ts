/**
 * Splits a command string into words as a POSIX shell would, without running one: blanks
 * separate words, '...' is literal, "..." keeps blanks and honours \" \\ \$ \`, a backslash
 * outside quotes escapes the next character. No variables, globs or operators: `a | b` is
 * three words. Throws on an unterminated quote or a trailing backslash.
 */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '\\') {
      if (i + 1 >= text.length) throw new Error('ends with a lone backslash');
      // A backslash-newline joins lines, as in a shell.
      if (text[++i] !== '\n') word += text[i];
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && '"\\$`\n'.includes(text[j + 1] ?? '')) {
          j++;
          if (text[j] !== '\n') word += text[j];
        } else {
          word += text[j];
        }
      }
      if (j >= text.length) throw new Error('unterminated double quote');
      i = j;
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}
