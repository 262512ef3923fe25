@echo off
rem Shell completion for `kubectl sensitive-access` (kubectl 1.26+ plugin completion): the
rem plugin answers cobra's __complete protocol itself. Next to the plugin binary first, else on PATH.
if exist "%~dp0kubectl-sensitive_access.exe" (
  "%~dp0kubectl-sensitive_access.exe" __complete %*
) else (
  kubectl-sensitive_access.exe __complete %*
)
