//! The compiled seccomp filters, rule by rule, each checked in its own process
//! (`localeval __probe-syscall` installs the built-in filters and makes one raw system
//! call). Denied calls are made with arguments the kernel itself would reject with another
//! errno (-1 everywhere: bad fds, bad pointers, bad flags), so EPERM can only come from the
//! filter, and nothing happens if a filter were missing.

mod common;

use common::*;

fn probe(nr: i64, args: &[u64]) -> String {
    let mut argv = vec!["__probe-syscall".to_string(), nr.to_string()];
    argv.extend(args.iter().map(|a| format!("{a:#x}")));
    let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
    let output = localeval(&refs);
    assert!(
        output.status.success(),
        "probe {nr} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

const ALL_BAD: [u64; 6] = [u64::MAX; 6];

/// x86_64 numbers of every syscall the deny filter names.
fn syscall_number(name: &str) -> Option<i64> {
    use libc::*;
    Some(match name {
        "ptrace" => SYS_ptrace,
        "process_vm_readv" => SYS_process_vm_readv,
        "process_vm_writev" => SYS_process_vm_writev,
        "kcmp" => SYS_kcmp,
        "pidfd_getfd" => SYS_pidfd_getfd,
        "process_madvise" => SYS_process_madvise,
        "add_key" => SYS_add_key,
        "request_key" => SYS_request_key,
        "keyctl" => SYS_keyctl,
        "bpf" => SYS_bpf,
        "perf_event_open" => SYS_perf_event_open,
        "userfaultfd" => SYS_userfaultfd,
        "unshare" => SYS_unshare,
        "setns" => SYS_setns,
        "mount" => SYS_mount,
        "umount2" => SYS_umount2,
        "pivot_root" => SYS_pivot_root,
        "chroot" => SYS_chroot,
        "open_tree" => SYS_open_tree,
        "move_mount" => SYS_move_mount,
        "fsopen" => SYS_fsopen,
        "fsconfig" => SYS_fsconfig,
        "fsmount" => SYS_fsmount,
        "fspick" => SYS_fspick,
        "mount_setattr" => SYS_mount_setattr,
        "open_by_handle_at" => SYS_open_by_handle_at,
        "name_to_handle_at" => SYS_name_to_handle_at,
        "quotactl" => SYS_quotactl,
        "quotactl_fd" => 443,
        "swapon" => SYS_swapon,
        "swapoff" => SYS_swapoff,
        "acct" => SYS_acct,
        "reboot" => SYS_reboot,
        "kexec_load" => SYS_kexec_load,
        "kexec_file_load" => SYS_kexec_file_load,
        "init_module" => SYS_init_module,
        "finit_module" => SYS_finit_module,
        "delete_module" => SYS_delete_module,
        "settimeofday" => SYS_settimeofday,
        "clock_settime" => SYS_clock_settime,
        "clock_adjtime" => SYS_clock_adjtime,
        "adjtimex" => SYS_adjtimex,
        "sethostname" => SYS_sethostname,
        "setdomainname" => SYS_setdomainname,
        "vhangup" => SYS_vhangup,
        "syslog" => SYS_syslog,
        "lookup_dcookie" => SYS_lookup_dcookie,
        "iopl" => SYS_iopl,
        "ioperm" => SYS_ioperm,
        "modify_ldt" => SYS_modify_ldt,
        "fanotify_init" => SYS_fanotify_init,
        "mbind" => SYS_mbind,
        "set_mempolicy" => SYS_set_mempolicy,
        "set_mempolicy_home_node" => 450,
        "get_mempolicy" => SYS_get_mempolicy,
        "move_pages" => SYS_move_pages,
        "migrate_pages" => SYS_migrate_pages,
        "uselib" => SYS_uselib,
        "ustat" => SYS_ustat,
        "sysfs" => SYS_sysfs,
        "_sysctl" => SYS__sysctl,
        "nfsservctl" => SYS_nfsservctl,
        "create_module" => 174,
        "get_kernel_syms" => 177,
        "query_module" => 178,
        "vm86" | "vm86old" | "stime" | "umount" => return None,
        _ => return None,
    })
}

fn profile() -> serde_json::Value {
    serde_json::from_str(localeval::jail::seccomp::BUILTIN_PROFILE).unwrap()
}

#[test]
fn every_explicit_denial_returns_eperm() {
    let profile = profile();
    let rules = profile["deny"]["filter"].as_array().unwrap();
    assert!(rules.len() >= 50, "the deny list is docs/SECURITY.md 5.3's");
    let mut failures = Vec::new();
    for rule in rules {
        let name = rule["syscall"].as_str().unwrap();
        assert!(
            rule["comment"].as_str().is_some_and(|c| !c.is_empty()),
            "{name} has no comment"
        );
        let nr = syscall_number(name).unwrap_or_else(|| panic!("no test number for denied {name}"));
        let result = probe(nr, &ALL_BAD);
        if result != "errno EPERM 1" {
            failures.push(format!("{name}: {result}"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn every_allow_rule_carries_a_comment() {
    let profile = profile();
    for rule in profile["allow"]["filter"].as_array().unwrap() {
        assert!(
            rule["comment"].as_str().is_some_and(|c| !c.is_empty()),
            "allow rule without a comment: {rule}"
        );
    }
}

#[test]
fn unlisted_new_and_foreign_abi_calls_get_enosys() {
    let enosys = "errno ENOSYS 38";
    assert_eq!(
        probe(libc::SYS_clone3, &[0, 0]),
        enosys,
        "clone3 (glibc falls back to clone)"
    );
    assert_eq!(
        probe(libc::SYS_io_uring_setup, &[1, 0]),
        enosys,
        "io_uring_setup"
    );
    assert_eq!(
        probe(libc::SYS_io_uring_enter, &ALL_BAD),
        enosys,
        "io_uring_enter"
    );
    assert_eq!(
        probe(libc::SYS_io_uring_register, &ALL_BAD),
        enosys,
        "io_uring_register"
    );
    assert_eq!(
        probe(0x4000_0000 | libc::SYS_getpid, &[]),
        enosys,
        "x32 getpid"
    );
    assert_eq!(
        probe(0x4000_0000 | libc::SYS_ptrace, &ALL_BAD),
        enosys,
        "x32 ptrace"
    );
    assert_eq!(probe(1000, &[]), enosys, "a number no kernel has");
    assert!(
        probe(libc::SYS_getpid, &[]).starts_with("ok "),
        "getpid is allowed"
    );
}

#[test]
fn clone_is_allowed_only_without_namespace_flags() {
    for (flag, name) in [
        (libc::CLONE_NEWUSER, "NEWUSER"),
        (libc::CLONE_NEWNS, "NEWNS"),
        (libc::CLONE_NEWPID, "NEWPID"),
        (libc::CLONE_NEWNET, "NEWNET"),
        (libc::CLONE_NEWCGROUP, "NEWCGROUP"),
        (libc::CLONE_NEWIPC, "NEWIPC"),
        (libc::CLONE_NEWUTS, "NEWUTS"),
    ] {
        // A plain fork (flags = SIGCHLD) plus one namespace flag.
        let flags = (libc::SIGCHLD | flag) as u64;
        assert_eq!(
            probe(libc::SYS_clone, &[flags, 0, 0, 0, 0]),
            "errno ENOSYS 38",
            "clone {name}"
        );
    }
    // The flag check compares the low 32 bits (where the kernel reads them), so setting
    // high bits cannot slip a namespace flag past it.
    let sneaky = (1u64 << 40) | (libc::SIGCHLD | libc::CLONE_NEWUSER) as u64;
    assert_eq!(
        probe(libc::SYS_clone, &[sneaky, 0, 0, 0, 0]),
        "errno ENOSYS 38"
    );
}

#[test]
fn terminal_injection_ioctls_are_refused_even_with_high_bits_set() {
    for cmd in [
        0x5412u64,
        0x541C,
        0x5423,
        0x1_0000_5412,
        0xffff_ffff_0000_541c,
    ] {
        assert_eq!(
            probe(libc::SYS_ioctl, &[0, cmd, 0]),
            "errno ENOSYS 38",
            "ioctl {cmd:#x}"
        );
    }
    // Another ioctl reaches the kernel (ENOTTY on a non-terminal, EBADF on a bad fd).
    let other = probe(libc::SYS_ioctl, &[u64::MAX, 0x5401, 0]);
    assert_eq!(other, "errno EBADF 9");
}

#[test]
fn only_safe_socket_families_and_personalities_are_allowed() {
    for (family, kind, name) in [
        (17u64, 3u64, "AF_PACKET"),
        (40, 1, "AF_VSOCK"),
        (38, 5, "AF_ALG"),
        (21, 5, "AF_RDS"),
    ] {
        assert_eq!(
            probe(libc::SYS_socket, &[family, kind, 0]),
            "errno ENOSYS 38",
            "{name}"
        );
    }
    assert_eq!(
        probe(libc::SYS_socket, &[16, 3, 9]),
        "errno ENOSYS 38",
        "netlink audit"
    );
    assert!(
        probe(libc::SYS_socket, &[2, 1, 0]).starts_with("ok "),
        "AF_INET stream"
    );
    assert!(
        probe(libc::SYS_socket, &[1, 1, 0]).starts_with("ok "),
        "AF_UNIX stream"
    );
    assert!(
        probe(libc::SYS_personality, &[0xffff_ffff]).starts_with("ok "),
        "query"
    );
    assert_eq!(
        probe(libc::SYS_personality, &[0x0040_0000]),
        "errno ENOSYS 38",
        "READ_IMPLIES_EXEC"
    );
}
