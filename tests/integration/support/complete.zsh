# zsh -f complete.zsh SCRIPT LINE
# Types LINE into a real interactive zsh (in a pseudo-terminal) that has loaded compinit and
# SCRIPT, asks for completion as the Tab key would, and prints every match offered, one a line.
# compadd is wrapped to write down what each call would add; a widget bound to a key completes
# and then prints a marker, so the matches are read only once completion has finished.
zmodload zsh/zpty || exit 3
script=$1 line=$2
matches=$(mktemp) || exit 3
zpty shell zsh -f -i
zpty -w shell "PS1='> '; autoload -Uz compinit; compinit -u -D; source ${(q)script}"
# Calls that only ask which matches would fit (-O, -A, -D) add nothing, so are left alone.
zpty -w shell "compadd() { local -a fit; if (( \${@[(I)-[OAD]*]} )); then builtin compadd \"\$@\"; return; fi; builtin compadd -O fit \"\$@\"; print -rl -- \$fit >> ${(q)matches}; builtin compadd \"\$@\"; }"
zpty -w shell "complete-then-mark() { zle complete-word; print -n '<completion ''done>'; }; zle -N complete-then-mark; bindkey '^T' complete-then-mark"
# The quotes keep the typed command from matching the marker its output is waited for by.
zpty -w shell "print '<set''up done>'"
zpty -r shell seen '*<setup done>*' || exit 4
zpty -w -n shell "$line"$'\C-t'
zpty -r shell seen '*<completion done>*' || exit 5
zpty -d shell
cat $matches
rm -f $matches
