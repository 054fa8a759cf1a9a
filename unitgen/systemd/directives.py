"""The systemd 252 unit-file vocabulary: which keys each section knows, and what kind of value each takes.

The names were read from systemd 252's own parser table (the ``Section.Key`` strings in
libsystemd-core-252.so, Debian 252.38), and the value kinds from what
``systemd-analyze verify`` says for a nonsense value (``Failed to parse boolean value``,
``Failed to parse sec value``, ``Failed to add dependency``, ``Invalid slot`` for ``%z``,
``/x/%h`` refused by unit-name settings).  They are literal data so that nothing here needs
systemd at run time.  [Install] keys are read by systemctl, not by the manager.
"""

from __future__ import annotations

import enum
import functools

import attrs

from unitgen.systemd.unitnames import split_name
from unitgen.systemd.values import SPECIFIERS_FULL, SPECIFIERS_INSTALL, SPECIFIERS_UNIT_NAME


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


class ValueType(enum.Enum):
    BOOL = "bool"  # parse_boolean
    TIMESPAN = "timespan"  # parse_sec
    ENUM = "enum"  # one of Kind.choices, case-sensitive
    UNIT_LIST = "unit-list"  # whitespace-separated unit names (dependencies)
    UNIT_NAME = "unit-name"  # exactly one unit name (Slice=, Unit=)
    EXEC = "exec"  # command line: quoting, escapes, prefixes, ';'
    ENVIRONMENT = "environment"  # quoted NAME=value words
    ENVIRONMENT_FILE = "environment-file"  # '-'? + absolute path, raw
    PATH = "path"  # one absolute path, specifiers expanded
    STRING = "string"  # free text with the full specifier table
    RAW = "raw"  # not checked beyond the line grammar


@attrs.frozen
class Kind:
    type: ValueType
    choices: frozenset[str] = frozenset()
    # The specifier table systemd applies to the value, None when it applies none
    # (then '%' is just an invalid character of a number, boolean or enum).
    specifiers: frozenset[str] | None = None


KNOWN: dict[str, frozenset[str]] = {
    "Unit": _names(
        """
        After AllowIsolate AssertACPower AssertArchitecture AssertCPUFeature AssertCPUPressure
        AssertCPUs AssertCapability AssertControlGroupController AssertCredential
        AssertDirectoryNotEmpty AssertEnvironment AssertFileIsExecutable AssertFileNotEmpty
        AssertFirstBoot AssertGroup AssertHost AssertIOPressure AssertKernelCommandLine
        AssertKernelVersion AssertMemory AssertMemoryPressure AssertNeedsUpdate AssertOSRelease
        AssertPathExists AssertPathExistsGlob AssertPathIsDirectory AssertPathIsEncrypted
        AssertPathIsMountPoint AssertPathIsReadWrite AssertPathIsSymbolicLink AssertSecurity
        AssertUser AssertVirtualization Before BindTo BindsTo CollectMode ConditionACPower
        ConditionArchitecture ConditionCPUFeature ConditionCPUPressure ConditionCPUs
        ConditionCapability ConditionControlGroupController ConditionCredential
        ConditionDirectoryNotEmpty ConditionEnvironment ConditionFileIsExecutable
        ConditionFileNotEmpty ConditionFirmware ConditionFirstBoot ConditionGroup ConditionHost
        ConditionIOPressure ConditionKernelCommandLine ConditionKernelVersion ConditionMemory
        ConditionMemoryPressure ConditionNeedsUpdate ConditionOSRelease ConditionPathExists
        ConditionPathExistsGlob ConditionPathIsDirectory ConditionPathIsEncrypted
        ConditionPathIsMountPoint ConditionPathIsReadWrite ConditionPathIsSymbolicLink
        ConditionSecurity ConditionUser ConditionVirtualization Conflicts DefaultDependencies
        Description Documentation FailureAction FailureActionExitStatus IgnoreOnIsolate
        IgnoreOnSnapshot JobRunningTimeoutSec JobTimeoutAction JobTimeoutRebootArgument
        JobTimeoutSec JoinsNamespaceOf OnFailure OnFailureIsolate OnFailureJobMode OnSuccess
        OnSuccessJobMode PartOf PropagateReloadFrom PropagateReloadTo PropagatesReloadTo
        PropagatesStopTo RebootArgument RefuseManualStart RefuseManualStop ReloadPropagatedFrom
        Requires RequiresMountsFor RequiresOverridable Requisite RequisiteOverridable SourcePath
        StartLimitAction StartLimitBurst StartLimitInterval StartLimitIntervalSec StopPropagatedFrom
        StopWhenUnneeded SuccessAction SuccessActionExitStatus Upholds Wants
        """
    ),
    "Service": _names(
        """
        AllowedCPUs AllowedMemoryNodes AmbientCapabilities AppArmorProfile BPFProgram BindPaths
        BindReadOnlyPaths BlockIOAccounting BlockIODeviceWeight BlockIOReadBandwidth BlockIOWeight
        BlockIOWriteBandwidth BusName BusPolicy CPUAccounting CPUAffinity CPUQuota CPUQuotaPeriodSec
        CPUSchedulingPolicy CPUSchedulingPriority CPUSchedulingResetOnFork CPUShares CPUWeight
        CacheDirectory CacheDirectoryMode Capabilities CapabilityBoundingSet ConfigurationDirectory
        ConfigurationDirectoryMode CoredumpFilter DefaultMemoryLow DefaultMemoryMin Delegate
        DeviceAllow DevicePolicy DisableControllers DynamicUser Environment EnvironmentFile
        ExecCondition ExecPaths ExecReload ExecSearchPath ExecStart ExecStartPost ExecStartPre
        ExecStop ExecStopPost ExitType ExtensionDirectories ExtensionImages FailureAction
        FileDescriptorStoreMax FinalKillSignal Group GuessMainPID IOAccounting
        IODeviceLatencyTargetSec IODeviceWeight IOReadBandwidthMax IOReadIOPSMax IOSchedulingClass
        IOSchedulingPriority IOWeight IOWriteBandwidthMax IOWriteIOPSMax IPAccounting IPAddressAllow
        IPAddressDeny IPCNamespacePath IPEgressFilterPath IPIngressFilterPath IgnoreSIGPIPE
        InaccessibleDirectories InaccessiblePaths KeyringMode KillMode KillSignal LimitAS LimitCORE
        LimitCPU LimitDATA LimitFSIZE LimitLOCKS LimitMEMLOCK LimitMSGQUEUE LimitNICE LimitNOFILE
        LimitNPROC LimitRSS LimitRTPRIO LimitRTTIME LimitSIGPENDING LimitSTACK LoadCredential
        LoadCredentialEncrypted LockPersonality LogExtraFields LogLevelMax LogNamespace
        LogRateLimitBurst LogRateLimitIntervalSec LogsDirectory LogsDirectoryMode
        ManagedOOMMemoryPressure ManagedOOMMemoryPressureLimit ManagedOOMPreference ManagedOOMSwap
        MemoryAccounting MemoryDenyWriteExecute MemoryHigh MemoryLimit MemoryLow MemoryMax MemoryMin
        MemorySwapMax MountAPIVFS MountFlags MountImages NUMAMask NUMAPolicy NetClass
        NetworkNamespacePath Nice NoExecPaths NoNewPrivileges NonBlocking NotifyAccess OOMPolicy
        OOMScoreAdjust PAMName PIDFile PassEnvironment PermissionsStartOnly Personality
        PrivateDevices PrivateIPC PrivateMounts PrivateNetwork PrivateTmp PrivateUsers ProcSubset
        ProtectClock ProtectControlGroups ProtectHome ProtectHostname ProtectKernelLogs
        ProtectKernelModules ProtectKernelTunables ProtectProc ProtectSystem ReadOnlyDirectories
        ReadOnlyPaths ReadWriteDirectories ReadWritePaths RebootArgument RemainAfterExit RemoveIPC
        Restart RestartForceExitStatus RestartKillSignal RestartPreventExitStatus RestartSec
        RestrictAddressFamilies RestrictFileSystems RestrictNamespaces RestrictNetworkInterfaces
        RestrictRealtime RestrictSUIDSGID RootDirectory RootDirectoryStartOnly RootHash
        RootHashSignature RootImage RootImageOptions RootVerity RuntimeDirectory
        RuntimeDirectoryMode RuntimeDirectoryPreserve RuntimeMaxSec RuntimeRandomizedExtraSec
        SELinuxContext SecureBits SendSIGHUP SendSIGKILL SetCredential SetCredentialEncrypted Slice
        SmackProcessLabel SocketBindAllow SocketBindDeny Sockets StandardError StandardInput
        StandardInputData StandardInputText StandardOutput StartLimitAction StartLimitBurst
        StartLimitInterval StartupAllowedCPUs StartupAllowedMemoryNodes StartupBlockIOWeight
        StartupCPUShares StartupCPUWeight StartupIOWeight StateDirectory StateDirectoryMode
        SuccessExitStatus SupplementaryGroups SysVStartPriority SyslogFacility SyslogIdentifier
        SyslogLevel SyslogLevelPrefix SystemCallArchitectures SystemCallErrorNumber SystemCallFilter
        SystemCallLog TTYColumns TTYPath TTYReset TTYRows TTYVHangup TTYVTDisallocate
        TasksAccounting TasksMax TemporaryFileSystem TimeoutAbortSec TimeoutCleanSec TimeoutSec
        TimeoutStartFailureMode TimeoutStartSec TimeoutStopFailureMode TimeoutStopSec TimerSlackNSec
        Type UMask USBFunctionDescriptors USBFunctionStrings UnsetEnvironment User UtmpIdentifier
        UtmpMode WatchdogSec WatchdogSignal WorkingDirectory
        """
    ),
    "Install": _names(
        """
        Alias Also DefaultInstance RequiredBy WantedBy
        """
    ),
    "Socket": _names(
        """
        Accept AllowedCPUs AllowedMemoryNodes AmbientCapabilities AppArmorProfile BPFProgram Backlog
        BindIPv6Only BindPaths BindReadOnlyPaths BindToDevice BlockIOAccounting BlockIODeviceWeight
        BlockIOReadBandwidth BlockIOWeight BlockIOWriteBandwidth Broadcast CPUAccounting CPUAffinity
        CPUQuota CPUQuotaPeriodSec CPUSchedulingPolicy CPUSchedulingPriority
        CPUSchedulingResetOnFork CPUShares CPUWeight CacheDirectory CacheDirectoryMode Capabilities
        CapabilityBoundingSet ConfigurationDirectory ConfigurationDirectoryMode CoredumpFilter
        DefaultMemoryLow DefaultMemoryMin DeferAcceptSec Delegate DeviceAllow DevicePolicy
        DirectoryMode DisableControllers DynamicUser Environment EnvironmentFile ExecPaths
        ExecSearchPath ExecStartPost ExecStartPre ExecStopPost ExecStopPre ExtensionDirectories
        ExtensionImages FileDescriptorName FinalKillSignal FlushPending FreeBind Group IOAccounting
        IODeviceLatencyTargetSec IODeviceWeight IOReadBandwidthMax IOReadIOPSMax IOSchedulingClass
        IOSchedulingPriority IOWeight IOWriteBandwidthMax IOWriteIOPSMax IPAccounting IPAddressAllow
        IPAddressDeny IPCNamespacePath IPEgressFilterPath IPIngressFilterPath IPTOS IPTTL
        IgnoreSIGPIPE InaccessibleDirectories InaccessiblePaths KeepAlive KeepAliveIntervalSec
        KeepAliveProbes KeepAliveTimeSec KeyringMode KillMode KillSignal LimitAS LimitCORE LimitCPU
        LimitDATA LimitFSIZE LimitLOCKS LimitMEMLOCK LimitMSGQUEUE LimitNICE LimitNOFILE LimitNPROC
        LimitRSS LimitRTPRIO LimitRTTIME LimitSIGPENDING LimitSTACK ListenDatagram ListenFIFO
        ListenMessageQueue ListenNetlink ListenSequentialPacket ListenSpecial ListenStream
        ListenUSBFunction LoadCredential LoadCredentialEncrypted LockPersonality LogExtraFields
        LogLevelMax LogNamespace LogRateLimitBurst LogRateLimitIntervalSec LogsDirectory
        LogsDirectoryMode ManagedOOMMemoryPressure ManagedOOMMemoryPressureLimit
        ManagedOOMPreference ManagedOOMSwap Mark MaxConnections MaxConnectionsPerSource
        MemoryAccounting MemoryDenyWriteExecute MemoryHigh MemoryLimit MemoryLow MemoryMax MemoryMin
        MemorySwapMax MessageQueueMaxMessages MessageQueueMessageSize MountAPIVFS MountFlags
        MountImages NUMAMask NUMAPolicy NetClass NetworkNamespacePath Nice NoDelay NoExecPaths
        NoNewPrivileges OOMScoreAdjust PAMName PassCredentials PassEnvironment PassPacketInfo
        PassSecurity Personality PipeSize Priority PrivateDevices PrivateIPC PrivateMounts
        PrivateNetwork PrivateTmp PrivateUsers ProcSubset ProtectClock ProtectControlGroups
        ProtectHome ProtectHostname ProtectKernelLogs ProtectKernelModules ProtectKernelTunables
        ProtectProc ProtectSystem ReadOnlyDirectories ReadOnlyPaths ReadWriteDirectories
        ReadWritePaths ReceiveBuffer RemoveIPC RemoveOnStop RestartKillSignal
        RestrictAddressFamilies RestrictFileSystems RestrictNamespaces RestrictNetworkInterfaces
        RestrictRealtime RestrictSUIDSGID ReusePort RootDirectory RootHash RootHashSignature
        RootImage RootImageOptions RootVerity RuntimeDirectory RuntimeDirectoryMode
        RuntimeDirectoryPreserve SELinuxContext SELinuxContextFromNet SecureBits SendBuffer
        SendSIGHUP SendSIGKILL Service SetCredential SetCredentialEncrypted Slice SmackLabel
        SmackLabelIPIn SmackLabelIPOut SmackProcessLabel SocketBindAllow SocketBindDeny SocketGroup
        SocketMode SocketProtocol SocketUser StandardError StandardInput StandardInputData
        StandardInputText StandardOutput StartupAllowedCPUs StartupAllowedMemoryNodes
        StartupBlockIOWeight StartupCPUShares StartupCPUWeight StartupIOWeight StateDirectory
        StateDirectoryMode SupplementaryGroups Symlinks SyslogFacility SyslogIdentifier SyslogLevel
        SyslogLevelPrefix SystemCallArchitectures SystemCallErrorNumber SystemCallFilter
        SystemCallLog TCPCongestion TTYColumns TTYPath TTYReset TTYRows TTYVHangup TTYVTDisallocate
        TasksAccounting TasksMax TemporaryFileSystem TimeoutCleanSec TimeoutSec TimerSlackNSec
        Timestamping Transparent TriggerLimitBurst TriggerLimitIntervalSec UMask UnsetEnvironment
        User UtmpIdentifier UtmpMode WatchdogSignal WorkingDirectory Writable
        """
    ),
    "Timer": _names(
        """
        AccuracySec FixedRandomDelay OnActiveSec OnBootSec OnCalendar OnClockChange OnStartupSec
        OnTimezoneChange OnUnitActiveSec OnUnitInactiveSec Persistent RandomizedDelaySec
        RemainAfterElapse Unit WakeSystem
        """
    ),
    "Path": _names(
        """
        DirectoryMode DirectoryNotEmpty MakeDirectory PathChanged PathExists PathExistsGlob
        PathModified TriggerLimitBurst TriggerLimitIntervalSec Unit
        """
    ),
    "Mount": _names(
        """
        AllowedCPUs AllowedMemoryNodes AmbientCapabilities AppArmorProfile BPFProgram BindPaths
        BindReadOnlyPaths BlockIOAccounting BlockIODeviceWeight BlockIOReadBandwidth BlockIOWeight
        BlockIOWriteBandwidth CPUAccounting CPUAffinity CPUQuota CPUQuotaPeriodSec
        CPUSchedulingPolicy CPUSchedulingPriority CPUSchedulingResetOnFork CPUShares CPUWeight
        CacheDirectory CacheDirectoryMode Capabilities CapabilityBoundingSet ConfigurationDirectory
        ConfigurationDirectoryMode CoredumpFilter DefaultMemoryLow DefaultMemoryMin Delegate
        DeviceAllow DevicePolicy DirectoryMode DisableControllers DynamicUser Environment
        EnvironmentFile ExecPaths ExecSearchPath ExtensionDirectories ExtensionImages
        FinalKillSignal ForceUnmount Group IOAccounting IODeviceLatencyTargetSec IODeviceWeight
        IOReadBandwidthMax IOReadIOPSMax IOSchedulingClass IOSchedulingPriority IOWeight
        IOWriteBandwidthMax IOWriteIOPSMax IPAccounting IPAddressAllow IPAddressDeny
        IPCNamespacePath IPEgressFilterPath IPIngressFilterPath IgnoreSIGPIPE
        InaccessibleDirectories InaccessiblePaths KeyringMode KillMode KillSignal LazyUnmount
        LimitAS LimitCORE LimitCPU LimitDATA LimitFSIZE LimitLOCKS LimitMEMLOCK LimitMSGQUEUE
        LimitNICE LimitNOFILE LimitNPROC LimitRSS LimitRTPRIO LimitRTTIME LimitSIGPENDING LimitSTACK
        LoadCredential LoadCredentialEncrypted LockPersonality LogExtraFields LogLevelMax
        LogNamespace LogRateLimitBurst LogRateLimitIntervalSec LogsDirectory LogsDirectoryMode
        ManagedOOMMemoryPressure ManagedOOMMemoryPressureLimit ManagedOOMPreference ManagedOOMSwap
        MemoryAccounting MemoryDenyWriteExecute MemoryHigh MemoryLimit MemoryLow MemoryMax MemoryMin
        MemorySwapMax MountAPIVFS MountFlags MountImages NUMAMask NUMAPolicy NetClass
        NetworkNamespacePath Nice NoExecPaths NoNewPrivileges OOMScoreAdjust Options PAMName
        PassEnvironment Personality PrivateDevices PrivateIPC PrivateMounts PrivateNetwork
        PrivateTmp PrivateUsers ProcSubset ProtectClock ProtectControlGroups ProtectHome
        ProtectHostname ProtectKernelLogs ProtectKernelModules ProtectKernelTunables ProtectProc
        ProtectSystem ReadOnlyDirectories ReadOnlyPaths ReadWriteDirectories ReadWriteOnly
        ReadWritePaths RemoveIPC RestartKillSignal RestrictAddressFamilies RestrictFileSystems
        RestrictNamespaces RestrictNetworkInterfaces RestrictRealtime RestrictSUIDSGID RootDirectory
        RootHash RootHashSignature RootImage RootImageOptions RootVerity RuntimeDirectory
        RuntimeDirectoryMode RuntimeDirectoryPreserve SELinuxContext SecureBits SendSIGHUP
        SendSIGKILL SetCredential SetCredentialEncrypted Slice SloppyOptions SmackProcessLabel
        SocketBindAllow SocketBindDeny StandardError StandardInput StandardInputData
        StandardInputText StandardOutput StartupAllowedCPUs StartupAllowedMemoryNodes
        StartupBlockIOWeight StartupCPUShares StartupCPUWeight StartupIOWeight StateDirectory
        StateDirectoryMode SupplementaryGroups SyslogFacility SyslogIdentifier SyslogLevel
        SyslogLevelPrefix SystemCallArchitectures SystemCallErrorNumber SystemCallFilter
        SystemCallLog TTYColumns TTYPath TTYReset TTYRows TTYVHangup TTYVTDisallocate
        TasksAccounting TasksMax TemporaryFileSystem TimeoutCleanSec TimeoutSec TimerSlackNSec Type
        UMask UnsetEnvironment User UtmpIdentifier UtmpMode WatchdogSignal What Where
        WorkingDirectory
        """
    ),
    "Automount": _names(
        """
        DirectoryMode ExtraOptions TimeoutIdleSec Where
        """
    ),
    "Swap": _names(
        """
        AllowedCPUs AllowedMemoryNodes AmbientCapabilities AppArmorProfile BPFProgram BindPaths
        BindReadOnlyPaths BlockIOAccounting BlockIODeviceWeight BlockIOReadBandwidth BlockIOWeight
        BlockIOWriteBandwidth CPUAccounting CPUAffinity CPUQuota CPUQuotaPeriodSec
        CPUSchedulingPolicy CPUSchedulingPriority CPUSchedulingResetOnFork CPUShares CPUWeight
        CacheDirectory CacheDirectoryMode Capabilities CapabilityBoundingSet ConfigurationDirectory
        ConfigurationDirectoryMode CoredumpFilter DefaultMemoryLow DefaultMemoryMin Delegate
        DeviceAllow DevicePolicy DisableControllers DynamicUser Environment EnvironmentFile
        ExecPaths ExecSearchPath ExtensionDirectories ExtensionImages FinalKillSignal Group
        IOAccounting IODeviceLatencyTargetSec IODeviceWeight IOReadBandwidthMax IOReadIOPSMax
        IOSchedulingClass IOSchedulingPriority IOWeight IOWriteBandwidthMax IOWriteIOPSMax
        IPAccounting IPAddressAllow IPAddressDeny IPCNamespacePath IPEgressFilterPath
        IPIngressFilterPath IgnoreSIGPIPE InaccessibleDirectories InaccessiblePaths KeyringMode
        KillMode KillSignal LimitAS LimitCORE LimitCPU LimitDATA LimitFSIZE LimitLOCKS LimitMEMLOCK
        LimitMSGQUEUE LimitNICE LimitNOFILE LimitNPROC LimitRSS LimitRTPRIO LimitRTTIME
        LimitSIGPENDING LimitSTACK LoadCredential LoadCredentialEncrypted LockPersonality
        LogExtraFields LogLevelMax LogNamespace LogRateLimitBurst LogRateLimitIntervalSec
        LogsDirectory LogsDirectoryMode ManagedOOMMemoryPressure ManagedOOMMemoryPressureLimit
        ManagedOOMPreference ManagedOOMSwap MemoryAccounting MemoryDenyWriteExecute MemoryHigh
        MemoryLimit MemoryLow MemoryMax MemoryMin MemorySwapMax MountAPIVFS MountFlags MountImages
        NUMAMask NUMAPolicy NetClass NetworkNamespacePath Nice NoExecPaths NoNewPrivileges
        OOMScoreAdjust Options PAMName PassEnvironment Personality Priority PrivateDevices
        PrivateIPC PrivateMounts PrivateNetwork PrivateTmp PrivateUsers ProcSubset ProtectClock
        ProtectControlGroups ProtectHome ProtectHostname ProtectKernelLogs ProtectKernelModules
        ProtectKernelTunables ProtectProc ProtectSystem ReadOnlyDirectories ReadOnlyPaths
        ReadWriteDirectories ReadWritePaths RemoveIPC RestartKillSignal RestrictAddressFamilies
        RestrictFileSystems RestrictNamespaces RestrictNetworkInterfaces RestrictRealtime
        RestrictSUIDSGID RootDirectory RootHash RootHashSignature RootImage RootImageOptions
        RootVerity RuntimeDirectory RuntimeDirectoryMode RuntimeDirectoryPreserve SELinuxContext
        SecureBits SendSIGHUP SendSIGKILL SetCredential SetCredentialEncrypted Slice
        SmackProcessLabel SocketBindAllow SocketBindDeny StandardError StandardInput
        StandardInputData StandardInputText StandardOutput StartupAllowedCPUs
        StartupAllowedMemoryNodes StartupBlockIOWeight StartupCPUShares StartupCPUWeight
        StartupIOWeight StateDirectory StateDirectoryMode SupplementaryGroups SyslogFacility
        SyslogIdentifier SyslogLevel SyslogLevelPrefix SystemCallArchitectures SystemCallErrorNumber
        SystemCallFilter SystemCallLog TTYColumns TTYPath TTYReset TTYRows TTYVHangup
        TTYVTDisallocate TasksAccounting TasksMax TemporaryFileSystem TimeoutCleanSec TimeoutSec
        TimerSlackNSec UMask UnsetEnvironment User UtmpIdentifier UtmpMode WatchdogSignal What
        WorkingDirectory
        """
    ),
    "Slice": _names(
        """
        AllowedCPUs AllowedMemoryNodes BPFProgram BlockIOAccounting BlockIODeviceWeight
        BlockIOReadBandwidth BlockIOWeight BlockIOWriteBandwidth CPUAccounting CPUQuota
        CPUQuotaPeriodSec CPUShares CPUWeight DefaultMemoryLow DefaultMemoryMin Delegate DeviceAllow
        DevicePolicy DisableControllers IOAccounting IODeviceLatencyTargetSec IODeviceWeight
        IOReadBandwidthMax IOReadIOPSMax IOWeight IOWriteBandwidthMax IOWriteIOPSMax IPAccounting
        IPAddressAllow IPAddressDeny IPEgressFilterPath IPIngressFilterPath ManagedOOMMemoryPressure
        ManagedOOMMemoryPressureLimit ManagedOOMPreference ManagedOOMSwap MemoryAccounting
        MemoryHigh MemoryLimit MemoryLow MemoryMax MemoryMin MemorySwapMax NetClass
        RestrictNetworkInterfaces Slice SocketBindAllow SocketBindDeny StartupAllowedCPUs
        StartupAllowedMemoryNodes StartupBlockIOWeight StartupCPUShares StartupCPUWeight
        StartupIOWeight TasksAccounting TasksMax
        """
    ),
    "Scope": _names(
        """
        AllowedCPUs AllowedMemoryNodes BPFProgram BlockIOAccounting BlockIODeviceWeight
        BlockIOReadBandwidth BlockIOWeight BlockIOWriteBandwidth CPUAccounting CPUQuota
        CPUQuotaPeriodSec CPUShares CPUWeight DefaultMemoryLow DefaultMemoryMin Delegate DeviceAllow
        DevicePolicy DisableControllers FinalKillSignal IOAccounting IODeviceLatencyTargetSec
        IODeviceWeight IOReadBandwidthMax IOReadIOPSMax IOWeight IOWriteBandwidthMax IOWriteIOPSMax
        IPAccounting IPAddressAllow IPAddressDeny IPEgressFilterPath IPIngressFilterPath KillMode
        KillSignal ManagedOOMMemoryPressure ManagedOOMMemoryPressureLimit ManagedOOMPreference
        ManagedOOMSwap MemoryAccounting MemoryHigh MemoryLimit MemoryLow MemoryMax MemoryMin
        MemorySwapMax NetClass OOMPolicy RestartKillSignal RestrictNetworkInterfaces RuntimeMaxSec
        RuntimeRandomizedExtraSec SendSIGHUP SendSIGKILL Slice SocketBindAllow SocketBindDeny
        StartupAllowedCPUs StartupAllowedMemoryNodes StartupBlockIOWeight StartupCPUShares
        StartupCPUWeight StartupIOWeight TasksAccounting TasksMax TimeoutStopSec WatchdogSignal
        """
    ),
}
_BOOLEANS = _names(
    """
    Mount.BlockIOAccounting Mount.CPUAccounting Mount.CPUSchedulingResetOnFork Mount.DynamicUser
    Mount.ForceUnmount Mount.IOAccounting Mount.IPAccounting Mount.IgnoreSIGPIPE Mount.LazyUnmount
    Mount.LockPersonality Mount.MemoryAccounting Mount.MemoryDenyWriteExecute Mount.MountAPIVFS
    Mount.NoNewPrivileges Mount.PrivateDevices Mount.PrivateIPC Mount.PrivateMounts
    Mount.PrivateNetwork Mount.PrivateTmp Mount.PrivateUsers Mount.ProtectClock
    Mount.ProtectControlGroups Mount.ProtectHostname Mount.ProtectKernelLogs
    Mount.ProtectKernelModules Mount.ProtectKernelTunables Mount.ReadWriteOnly Mount.RemoveIPC
    Mount.RestrictRealtime Mount.RestrictSUIDSGID Mount.SendSIGHUP Mount.SendSIGKILL
    Mount.SloppyOptions Mount.SyslogLevelPrefix Mount.TTYReset Mount.TTYVHangup
    Mount.TTYVTDisallocate Mount.TasksAccounting Path.MakeDirectory Service.BlockIOAccounting
    Service.CPUAccounting Service.CPUSchedulingResetOnFork Service.DynamicUser Service.GuessMainPID
    Service.IOAccounting Service.IPAccounting Service.IgnoreSIGPIPE Service.LockPersonality
    Service.MemoryAccounting Service.MemoryDenyWriteExecute Service.MountAPIVFS
    Service.NoNewPrivileges Service.NonBlocking Service.PermissionsStartOnly Service.PrivateDevices
    Service.PrivateIPC Service.PrivateMounts Service.PrivateNetwork Service.PrivateTmp
    Service.PrivateUsers Service.ProtectClock Service.ProtectControlGroups Service.ProtectHostname
    Service.ProtectKernelLogs Service.ProtectKernelModules Service.ProtectKernelTunables
    Service.RemainAfterExit Service.RemoveIPC Service.RestrictRealtime Service.RestrictSUIDSGID
    Service.RootDirectoryStartOnly Service.SendSIGHUP Service.SendSIGKILL Service.SyslogLevelPrefix
    Service.TTYReset Service.TTYVHangup Service.TTYVTDisallocate Service.TasksAccounting
    Socket.Accept Socket.BlockIOAccounting Socket.Broadcast Socket.CPUAccounting
    Socket.CPUSchedulingResetOnFork Socket.DynamicUser Socket.FlushPending Socket.FreeBind
    Socket.IOAccounting Socket.IPAccounting Socket.IgnoreSIGPIPE Socket.KeepAlive
    Socket.LockPersonality Socket.MemoryAccounting Socket.MemoryDenyWriteExecute Socket.MountAPIVFS
    Socket.NoDelay Socket.NoNewPrivileges Socket.PassCredentials Socket.PassPacketInfo
    Socket.PassSecurity Socket.PrivateDevices Socket.PrivateIPC Socket.PrivateMounts
    Socket.PrivateNetwork Socket.PrivateTmp Socket.PrivateUsers Socket.ProtectClock
    Socket.ProtectControlGroups Socket.ProtectHostname Socket.ProtectKernelLogs
    Socket.ProtectKernelModules Socket.ProtectKernelTunables Socket.RemoveIPC Socket.RemoveOnStop
    Socket.RestrictRealtime Socket.RestrictSUIDSGID Socket.ReusePort Socket.SELinuxContextFromNet
    Socket.SendSIGHUP Socket.SendSIGKILL Socket.SyslogLevelPrefix Socket.TTYReset Socket.TTYVHangup
    Socket.TTYVTDisallocate Socket.TasksAccounting Socket.Transparent Socket.Writable
    Swap.BlockIOAccounting Swap.CPUAccounting Swap.CPUSchedulingResetOnFork Swap.DynamicUser
    Swap.IOAccounting Swap.IPAccounting Swap.IgnoreSIGPIPE Swap.LockPersonality
    Swap.MemoryAccounting Swap.MemoryDenyWriteExecute Swap.MountAPIVFS Swap.NoNewPrivileges
    Swap.PrivateDevices Swap.PrivateIPC Swap.PrivateMounts Swap.PrivateNetwork Swap.PrivateTmp
    Swap.PrivateUsers Swap.ProtectClock Swap.ProtectControlGroups Swap.ProtectHostname
    Swap.ProtectKernelLogs Swap.ProtectKernelModules Swap.ProtectKernelTunables Swap.RemoveIPC
    Swap.RestrictRealtime Swap.RestrictSUIDSGID Swap.SendSIGHUP Swap.SendSIGKILL
    Swap.SyslogLevelPrefix Swap.TTYReset Swap.TTYVHangup Swap.TTYVTDisallocate Swap.TasksAccounting
    Timer.FixedRandomDelay Timer.OnClockChange Timer.OnTimezoneChange Timer.Persistent
    Timer.RemainAfterElapse Timer.WakeSystem Unit.AllowIsolate Unit.DefaultDependencies
    Unit.IgnoreOnIsolate Unit.RefuseManualStart Unit.RefuseManualStop Unit.StopWhenUnneeded
    """
)
_TIMESPANS = _names(
    """
    Automount.TimeoutIdleSec Mount.CPUQuotaPeriodSec Mount.LogRateLimitIntervalSec
    Mount.TimeoutCleanSec Mount.TimeoutSec Path.TriggerLimitIntervalSec Service.CPUQuotaPeriodSec
    Service.LogRateLimitIntervalSec Service.RestartSec Service.RuntimeMaxSec
    Service.RuntimeRandomizedExtraSec Service.StartLimitInterval Service.TimeoutAbortSec
    Service.TimeoutCleanSec Service.TimeoutSec Service.TimeoutStartSec Service.TimeoutStopSec
    Service.WatchdogSec Socket.CPUQuotaPeriodSec Socket.DeferAcceptSec Socket.KeepAliveIntervalSec
    Socket.KeepAliveTimeSec Socket.LogRateLimitIntervalSec Socket.TimeoutCleanSec Socket.TimeoutSec
    Socket.TriggerLimitIntervalSec Swap.CPUQuotaPeriodSec Swap.LogRateLimitIntervalSec
    Swap.TimeoutCleanSec Swap.TimeoutSec Timer.AccuracySec Timer.OnActiveSec Timer.OnBootSec
    Timer.OnStartupSec Timer.OnUnitActiveSec Timer.OnUnitInactiveSec Timer.RandomizedDelaySec
    Unit.JobRunningTimeoutSec Unit.JobTimeoutSec Unit.StartLimitInterval Unit.StartLimitIntervalSec
    """
)
_DEPENDENCIES = _names(
    """
    Unit.After Unit.Before Unit.BindTo Unit.BindsTo Unit.Conflicts Unit.JoinsNamespaceOf
    Unit.OnFailure Unit.OnSuccess Unit.PartOf Unit.PropagateReloadFrom Unit.PropagateReloadTo
    Unit.PropagatesReloadTo Unit.PropagatesStopTo Unit.ReloadPropagatedFrom Unit.Requires
    Unit.RequiresOverridable Unit.Requisite Unit.RequisiteOverridable Unit.StopPropagatedFrom
    Unit.Upholds Unit.Wants
    """
)
_REMOVED = _names(
    """
    Mount.Capabilities Mount.NetClass Service.BusPolicy Service.Capabilities Service.NetClass
    Service.SysVStartPriority Socket.Capabilities Socket.NetClass Swap.Capabilities Swap.NetClass
    Unit.IgnoreOnSnapshot
    """
)
_DEPRECATED = _names(
    """
    Mount.BlockIODeviceWeight Mount.BlockIOReadBandwidth Mount.BlockIOWriteBandwidth Mount.CPUShares
    Mount.StartupCPUShares Service.BlockIODeviceWeight Service.BlockIOReadBandwidth
    Service.BlockIOWriteBandwidth Service.CPUShares Service.StartupCPUShares
    Socket.BlockIODeviceWeight Socket.BlockIOReadBandwidth Socket.BlockIOWriteBandwidth
    Socket.CPUShares Socket.StartupCPUShares Swap.BlockIODeviceWeight Swap.BlockIOReadBandwidth
    Swap.BlockIOWriteBandwidth Swap.CPUShares Swap.StartupCPUShares Unit.RequiresOverridable
    Unit.RequisiteOverridable
    """
)
_EXPANDS_SPECIFIERS = _names(
    """
    Automount.ExtraOptions Automount.Where Mount.AllowedCPUs Mount.AllowedMemoryNodes
    Mount.AppArmorProfile Mount.BindPaths Mount.BindReadOnlyPaths Mount.CPUAffinity
    Mount.CacheDirectory Mount.ConfigurationDirectory Mount.DeviceAllow Mount.Environment
    Mount.EnvironmentFile Mount.ExecPaths Mount.ExecSearchPath Mount.ExtensionDirectories
    Mount.ExtensionImages Mount.Group Mount.IPCNamespacePath Mount.IPEgressFilterPath
    Mount.IPIngressFilterPath Mount.InaccessibleDirectories Mount.InaccessiblePaths
    Mount.LoadCredential Mount.LoadCredentialEncrypted Mount.LogExtraFields Mount.LogNamespace
    Mount.LogsDirectory Mount.MountImages Mount.NetworkNamespacePath Mount.NoExecPaths Mount.Options
    Mount.PAMName Mount.PassEnvironment Mount.ReadOnlyDirectories Mount.ReadOnlyPaths
    Mount.ReadWriteDirectories Mount.ReadWritePaths Mount.RootDirectory Mount.RootImage
    Mount.RootImageOptions Mount.RootVerity Mount.RuntimeDirectory Mount.SELinuxContext Mount.Slice
    Mount.SmackProcessLabel Mount.StandardInputText Mount.StartupAllowedCPUs
    Mount.StartupAllowedMemoryNodes Mount.StateDirectory Mount.SupplementaryGroups
    Mount.SyslogIdentifier Mount.TTYPath Mount.TemporaryFileSystem Mount.Type Mount.UnsetEnvironment
    Mount.User Mount.UtmpIdentifier Mount.What Mount.Where Mount.WorkingDirectory
    Path.DirectoryNotEmpty Path.PathChanged Path.PathExists Path.PathExistsGlob Path.PathModified
    Path.Unit Service.AllowedCPUs Service.AllowedMemoryNodes Service.AppArmorProfile
    Service.BindPaths Service.BindReadOnlyPaths Service.BusName Service.CPUAffinity
    Service.CacheDirectory Service.ConfigurationDirectory Service.DeviceAllow Service.Environment
    Service.EnvironmentFile Service.ExecCondition Service.ExecPaths Service.ExecReload
    Service.ExecSearchPath Service.ExecStart Service.ExecStartPost Service.ExecStartPre
    Service.ExecStop Service.ExecStopPost Service.ExtensionDirectories Service.ExtensionImages
    Service.Group Service.IPCNamespacePath Service.IPEgressFilterPath Service.IPIngressFilterPath
    Service.InaccessibleDirectories Service.InaccessiblePaths Service.LoadCredential
    Service.LoadCredentialEncrypted Service.LogExtraFields Service.LogNamespace
    Service.LogsDirectory Service.MountImages Service.NetworkNamespacePath Service.NoExecPaths
    Service.PAMName Service.PIDFile Service.PassEnvironment Service.ReadOnlyDirectories
    Service.ReadOnlyPaths Service.ReadWriteDirectories Service.ReadWritePaths Service.RebootArgument
    Service.RootDirectory Service.RootImage Service.RootImageOptions Service.RootVerity
    Service.RuntimeDirectory Service.SELinuxContext Service.Slice Service.SmackProcessLabel
    Service.Sockets Service.StandardInputText Service.StartupAllowedCPUs
    Service.StartupAllowedMemoryNodes Service.StateDirectory Service.SupplementaryGroups
    Service.SyslogIdentifier Service.TTYPath Service.TemporaryFileSystem
    Service.USBFunctionDescriptors Service.USBFunctionStrings Service.UnsetEnvironment Service.User
    Service.UtmpIdentifier Service.WorkingDirectory Socket.AllowedCPUs Socket.AllowedMemoryNodes
    Socket.AppArmorProfile Socket.BindPaths Socket.BindReadOnlyPaths Socket.CPUAffinity
    Socket.CacheDirectory Socket.ConfigurationDirectory Socket.DeviceAllow Socket.Environment
    Socket.EnvironmentFile Socket.ExecPaths Socket.ExecSearchPath Socket.ExecStartPost
    Socket.ExecStartPre Socket.ExecStopPost Socket.ExecStopPre Socket.ExtensionDirectories
    Socket.ExtensionImages Socket.FileDescriptorName Socket.Group Socket.IPCNamespacePath
    Socket.IPEgressFilterPath Socket.IPIngressFilterPath Socket.InaccessibleDirectories
    Socket.InaccessiblePaths Socket.ListenDatagram Socket.ListenFIFO Socket.ListenMessageQueue
    Socket.ListenNetlink Socket.ListenSequentialPacket Socket.ListenSpecial Socket.ListenStream
    Socket.ListenUSBFunction Socket.LoadCredential Socket.LoadCredentialEncrypted
    Socket.LogExtraFields Socket.LogNamespace Socket.LogsDirectory Socket.MountImages
    Socket.NetworkNamespacePath Socket.NoExecPaths Socket.PAMName Socket.PassEnvironment
    Socket.ReadOnlyDirectories Socket.ReadOnlyPaths Socket.ReadWriteDirectories
    Socket.ReadWritePaths Socket.RootDirectory Socket.RootImage Socket.RootImageOptions
    Socket.RootVerity Socket.RuntimeDirectory Socket.SELinuxContext Socket.Service Socket.Slice
    Socket.SmackLabel Socket.SmackLabelIPIn Socket.SmackLabelIPOut Socket.SmackProcessLabel
    Socket.SocketGroup Socket.SocketUser Socket.StandardInputText Socket.StartupAllowedCPUs
    Socket.StartupAllowedMemoryNodes Socket.StateDirectory Socket.SupplementaryGroups
    Socket.Symlinks Socket.SyslogIdentifier Socket.TTYPath Socket.TemporaryFileSystem
    Socket.UnsetEnvironment Socket.User Socket.UtmpIdentifier Socket.WorkingDirectory
    Swap.AllowedCPUs Swap.AllowedMemoryNodes Swap.AppArmorProfile Swap.BindPaths
    Swap.BindReadOnlyPaths Swap.CPUAffinity Swap.CacheDirectory Swap.ConfigurationDirectory
    Swap.DeviceAllow Swap.Environment Swap.EnvironmentFile Swap.ExecPaths Swap.ExecSearchPath
    Swap.ExtensionDirectories Swap.ExtensionImages Swap.Group Swap.IPCNamespacePath
    Swap.IPEgressFilterPath Swap.IPIngressFilterPath Swap.InaccessibleDirectories
    Swap.InaccessiblePaths Swap.LoadCredential Swap.LoadCredentialEncrypted Swap.LogExtraFields
    Swap.LogNamespace Swap.LogsDirectory Swap.MountImages Swap.NetworkNamespacePath Swap.NoExecPaths
    Swap.Options Swap.PAMName Swap.PassEnvironment Swap.ReadOnlyDirectories Swap.ReadOnlyPaths
    Swap.ReadWriteDirectories Swap.ReadWritePaths Swap.RootDirectory Swap.RootImage
    Swap.RootImageOptions Swap.RootVerity Swap.RuntimeDirectory Swap.SELinuxContext Swap.Slice
    Swap.SmackProcessLabel Swap.StandardInputText Swap.StartupAllowedCPUs
    Swap.StartupAllowedMemoryNodes Swap.StateDirectory Swap.SupplementaryGroups
    Swap.SyslogIdentifier Swap.TTYPath Swap.TemporaryFileSystem Swap.UnsetEnvironment Swap.User
    Swap.UtmpIdentifier Swap.What Swap.WorkingDirectory Timer.OnActiveSec Timer.OnBootSec
    Timer.OnCalendar Timer.OnStartupSec Timer.OnUnitActiveSec Timer.OnUnitInactiveSec Timer.Unit
    Unit.After Unit.AssertACPower Unit.AssertArchitecture Unit.AssertCPUFeature
    Unit.AssertCPUPressure Unit.AssertCPUs Unit.AssertCapability Unit.AssertControlGroupController
    Unit.AssertCredential Unit.AssertDirectoryNotEmpty Unit.AssertEnvironment
    Unit.AssertFileIsExecutable Unit.AssertFileNotEmpty Unit.AssertFirstBoot Unit.AssertGroup
    Unit.AssertHost Unit.AssertIOPressure Unit.AssertKernelCommandLine Unit.AssertKernelVersion
    Unit.AssertMemory Unit.AssertMemoryPressure Unit.AssertNeedsUpdate Unit.AssertOSRelease
    Unit.AssertPathExists Unit.AssertPathExistsGlob Unit.AssertPathIsDirectory
    Unit.AssertPathIsEncrypted Unit.AssertPathIsMountPoint Unit.AssertPathIsReadWrite
    Unit.AssertPathIsSymbolicLink Unit.AssertSecurity Unit.AssertUser Unit.AssertVirtualization
    Unit.Before Unit.BindTo Unit.BindsTo Unit.ConditionACPower Unit.ConditionArchitecture
    Unit.ConditionCPUFeature Unit.ConditionCPUPressure Unit.ConditionCPUs Unit.ConditionCapability
    Unit.ConditionControlGroupController Unit.ConditionCredential Unit.ConditionDirectoryNotEmpty
    Unit.ConditionEnvironment Unit.ConditionFileIsExecutable Unit.ConditionFileNotEmpty
    Unit.ConditionFirmware Unit.ConditionFirstBoot Unit.ConditionGroup Unit.ConditionHost
    Unit.ConditionIOPressure Unit.ConditionKernelCommandLine Unit.ConditionKernelVersion
    Unit.ConditionMemory Unit.ConditionMemoryPressure Unit.ConditionNeedsUpdate
    Unit.ConditionOSRelease Unit.ConditionPathExists Unit.ConditionPathExistsGlob
    Unit.ConditionPathIsDirectory Unit.ConditionPathIsEncrypted Unit.ConditionPathIsMountPoint
    Unit.ConditionPathIsReadWrite Unit.ConditionPathIsSymbolicLink Unit.ConditionSecurity
    Unit.ConditionUser Unit.ConditionVirtualization Unit.Conflicts Unit.Description
    Unit.Documentation Unit.JobTimeoutRebootArgument Unit.JoinsNamespaceOf Unit.OnFailure
    Unit.OnSuccess Unit.PartOf Unit.PropagateReloadFrom Unit.PropagateReloadTo
    Unit.PropagatesReloadTo Unit.PropagatesStopTo Unit.RebootArgument Unit.ReloadPropagatedFrom
    Unit.Requires Unit.RequiresMountsFor Unit.RequiresOverridable Unit.Requisite
    Unit.RequisiteOverridable Unit.SourcePath Unit.StopPropagatedFrom Unit.Upholds Unit.Wants
    """
)

EXEC_KEYS = frozenset(
    {
        "ExecStart",
        "ExecStartPre",
        "ExecStartPost",
        "ExecCondition",
        "ExecReload",
        "ExecStop",
        "ExecStopPost",
        "ExecStopPre",
    }
)
_ACTIONS = _names(
    "none reboot reboot-force reboot-immediate poweroff poweroff-force poweroff-immediate exit exit-force"
)
_JOB_MODES = _names("fail replace replace-irreversibly isolate flush ignore-dependencies ignore-requirements")
_FAILURE_MODES = _names("terminate abort kill")
# Values that take an argument after ':' (fd:NAME, file:PATH) are matched by prefix.
STANDARD_OUTPUT_CHOICES = _names(
    "inherit null tty journal kmsg journal+console kmsg+console socket syslog syslog+console"
)
STANDARD_INPUT_CHOICES = _names("null tty tty-force tty-fail socket data")
STANDARD_OUTPUT_PREFIXES: tuple[str, ...] = ("fd:", "file:", "append:", "truncate:")
STANDARD_INPUT_PREFIXES: tuple[str, ...] = ("fd:", "file:")

_ENUMS: dict[str, frozenset[str]] = {
    "Service.Type": _names("simple exec forking oneshot dbus notify idle"),
    "Service.Restart": _names("no on-success on-failure on-abnormal on-watchdog on-abort always"),
    "Service.NotifyAccess": _names("none main exec all"),
    "Service.ExitType": _names("main cgroup"),
    "Service.OOMPolicy": _names("continue stop kill"),
    "Service.TimeoutStartFailureMode": _FAILURE_MODES,
    "Service.TimeoutStopFailureMode": _FAILURE_MODES,
    "Unit.CollectMode": _names("inactive inactive-or-failed"),
    "Unit.OnFailureJobMode": _JOB_MODES,
    "Unit.OnSuccessJobMode": _JOB_MODES,
    "Unit.FailureAction": _ACTIONS,
    "Unit.SuccessAction": _ACTIONS,
    "Unit.StartLimitAction": _ACTIONS,
    "Unit.JobTimeoutAction": _ACTIONS,
    "Service.FailureAction": _ACTIONS,
    "Service.StartLimitAction": _ACTIONS,
    "Socket.BindIPv6Only": _names("default both ipv6-only"),
}
for _section in ("Service", "Socket", "Mount", "Swap"):
    _ENUMS[f"{_section}.KillMode"] = _names("control-group process mixed none")

_SINGLE_UNIT = _names(
    "Service.Slice Socket.Slice Mount.Slice Swap.Slice Scope.Slice Timer.Unit Path.Unit Socket.Service"
)
_MULTI_UNIT = _DEPENDENCIES | {"Service.Sockets"}
_INSTALL_UNITS = _names("Install.WantedBy Install.RequiredBy Install.Also Install.Alias")
_PATHS = _names("Service.PIDFile Service.WorkingDirectory Service.RootDirectory Socket.WorkingDirectory")
_STANDARD_STREAMS = _names("StandardOutput StandardError StandardInput")

_RAW = Kind(ValueType.RAW)


def is_known(section: str, key: str) -> bool:
    """Whether systemd 252 knows ``key`` in ``[section]``; ``X-`` keys are always fine."""
    if key.startswith("X-"):
        return True
    return key in KNOWN.get(section, frozenset())


def is_removed(section: str, key: str) -> bool:
    """Known to the parser only to say "Support for option K= has been removed and it is ignored"."""
    return f"{section}.{key}" in _REMOVED


def is_deprecated(section: str, key: str) -> bool:
    """Still applied in 252, with a warning that it is obsolete or will be removed."""
    return f"{section}.{key}" in _DEPRECATED


def kind(section: str, key: str) -> Kind:
    """The value kind of ``[section] key=``; RAW for keys not described here."""
    if key not in KNOWN.get(section, ()):
        return _RAW
    return _classify(section, key)


@functools.cache  # a compile asks about the same few keys again and again
def _classify(section: str, key: str) -> Kind:
    qualified = f"{section}.{key}"
    full = SPECIFIERS_FULL if qualified in _EXPANDS_SPECIFIERS else None
    if key in EXEC_KEYS:
        return Kind(ValueType.EXEC, specifiers=SPECIFIERS_FULL)
    if key == "Environment":
        return Kind(ValueType.ENVIRONMENT, specifiers=SPECIFIERS_FULL)
    if key == "EnvironmentFile":
        return Kind(ValueType.ENVIRONMENT_FILE, specifiers=SPECIFIERS_FULL)
    if qualified in _ENUMS:
        return Kind(ValueType.ENUM, choices=_ENUMS[qualified])
    if key in _STANDARD_STREAMS:
        return Kind(ValueType.RAW, specifiers=full)
    if qualified in _BOOLEANS:
        return Kind(ValueType.BOOL)
    if qualified in _TIMESPANS:
        return Kind(ValueType.TIMESPAN)
    if qualified in _MULTI_UNIT:
        return Kind(ValueType.UNIT_LIST, specifiers=SPECIFIERS_UNIT_NAME)
    if qualified in _SINGLE_UNIT:
        return Kind(ValueType.UNIT_NAME, specifiers=SPECIFIERS_UNIT_NAME)
    if qualified in _INSTALL_UNITS:
        return Kind(ValueType.UNIT_LIST, specifiers=SPECIFIERS_INSTALL)
    if qualified in _PATHS:
        return Kind(ValueType.PATH, specifiers=SPECIFIERS_FULL)
    if key in ("Description", "Documentation") or full is not None:
        return Kind(ValueType.STRING, specifiers=SPECIFIERS_FULL)
    return _RAW


# The sections systemd 252 reads for each unit type (unit_vtable[]->sections).
_ALL_SECTIONS = frozenset(KNOWN)
SECTIONS_BY_SUFFIX: dict[str, frozenset[str]] = {
    suffix: frozenset({"Unit", "Install", *extra})
    for suffix, extra in {
        "service": ("Service",),
        "socket": ("Socket",),
        "timer": ("Timer",),
        "path": ("Path",),
        "mount": ("Mount",),
        "automount": ("Automount",),
        "swap": ("Swap",),
        "slice": ("Slice",),
        "scope": ("Scope",),
        "target": (),
        "device": (),
    }.items()
}


def sections_for(unit_name: str) -> frozenset[str]:
    """The sections systemd reads for this file; any section it knows when the suffix is not a unit type."""
    return SECTIONS_BY_SUFFIX.get(split_name(unit_name)[2], _ALL_SECTIONS)
