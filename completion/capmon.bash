# bash completion for capmon: commands, each command's options (read from its
# own --help, so they never go stale), option values, sources and files.
# Installed as /usr/share/bash-completion/completions/capmon.

_capmon_options() { # the long options of one command, from `capmon CMD --help`
        "$1" "$2" --help 2> /dev/null |
                sed -n 's/^  \(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p'
}

_capmon() {
        local cur prev words cword
        if declare -F _init_completion > /dev/null; then
                _init_completion || return
        else
                cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
                words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
        fi
        local exe=${words[0]} cmd="" i
        for ((i = 1; i < cword; i++)); do
                case ${words[i]} in
                -*) ;;
                *) cmd=${words[i]}; break ;;
                esac
        done
        if [[ -z $cmd ]]; then
                COMPREPLY=($(compgen -W "demo watch replay relay check report config --help --version" -- "$cur"))
                return
        fi
        # values of options
        case $prev in
        --by) COMPREPLY=($(compgen -W "person delegation" -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "csv json" -- "$cur")); return ;;
        --tz) COMPREPLY=($(compgen -W "utc meeting local" -- "$cur")); return ;;
        --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
        --config | --roster | --log | --record | --resume | --trace | --cert | --key | \
                --secret-file | --token-file | --redis-password-file)
                COMPREPLY=($(compgen -f -- "$cur"))
                return ;;
        --cache-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --hook) COMPREPLY=($(compgen -c -- "$cur")); return ;;
        --listen | --metrics | --store | --capacity | --video-limit | --interval | \
                --duration | --speed | --meeting | -w | --warning | -c | --critical | -t | \
                --timeout | --maxlen | --wait-replicas | --wait-timeout | --body-max | \
                --max-subscribers | --max-behind | --idle-limit | --reconcile-interval | \
                --video-qos)
                return ;; # a value to type
        esac
        if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$(_capmon_options "$exe" "$cmd")" -- "$cur"))
                return
        fi
        case $cmd in
        config)
                if [[ $prev == config ]]; then
                        COMPREPLY=($(compgen -W "check" -- "$cur"))
                else
                        COMPREPLY=($(compgen -f -X '!*.json' -- "$cur") $(compgen -d -- "$cur"))
                fi
                ;;
        watch | check)
                COMPREPLY=($(compgen -W "ws:// wss:// redis:// rediss:// zoom webhook://" -- "$cur")
                        $(compgen -f -- "$cur"))
                [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *:// ]] && compopt -o nospace 2> /dev/null
                ;;
        relay) ;;
        *) COMPREPLY=($(compgen -f -- "$cur")) ;;
        esac
}
complete -F _capmon capmon
