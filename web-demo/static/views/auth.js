// The sign-in / create-account screen.
import { $, showError } from '../dom.js';

/**
 * mountAuth wires the two forms. onLogin and onRegister get the form values
 * and return a Promise; a rejection's message is shown to the user.
 */
export function mountAuth({ onLogin, onRegister }) {
  const loginForm = $('login-form');
  const registerForm = $('register-form');
  const tabLogin = $('tab-login');
  const tabRegister = $('tab-register');
  const error = $('auth-error');

  function select(register) {
    loginForm.hidden = register;
    registerForm.hidden = !register;
    tabLogin.setAttribute('aria-selected', String(!register));
    tabRegister.setAttribute('aria-selected', String(register));
    showError(error, '');
    (register ? registerForm : loginForm).querySelector('input').focus();
  }
  tabLogin.addEventListener('click', () => select(false));
  tabRegister.addEventListener('click', () => select(true));

  function handle(form, action) {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const values = Object.fromEntries(new FormData(form));
      for (const k of Object.keys(values)) if (k !== 'password') values[k] = String(values[k]).trim();
      const button = form.querySelector('button[type=submit]');
      button.disabled = true;
      showError(error, '');
      try {
        await action(values);
        form.reset();
      } catch (err) {
        showError(error, (err && err.message) || String(err));
      } finally {
        button.disabled = false;
      }
    });
  }
  handle(loginForm, onLogin);
  handle(registerForm, onRegister);

  return {
    /** show displays the screen, optionally with a username filled in and a message. */
    show({ username = '', message = '' } = {}) {
      select(false);
      if (username) loginForm.elements.username.value = username;
      showError(error, message);
      (username ? loginForm.elements.password : loginForm.elements.username).focus();
    },
  };
}
