// Placeholder while the full app lands: shows the sign-in screen.
document.getElementById('boot-screen').hidden = true;
document.getElementById('auth-screen').hidden = false;
